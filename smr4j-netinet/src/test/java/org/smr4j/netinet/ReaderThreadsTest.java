package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Reader;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.Seed;
import org.smr4j.testsupport.TestSupport;

/**
 * {@link ConnectionTable.Reader} on virtual threads, every strategy: {@value #VIRTUAL}
 * virtual threads (more than the carriers by far) each take a handle and look up and read
 * established connections, yielding between calls so that they unmount and resume, usually
 * on another carrier, while a platform writer churns other connections. Every lookup and
 * read of an established connection must find it, by key and by fields; afterwards the table
 * is sound and no read section of any thread is left open (a grace period completes: the
 * table's writer can still grow and remove, which waits for readers). The test also records
 * how many virtual threads ran on more than one carrier, and requires some (the carrier is
 * part of {@code VirtualThread.toString()}), so that "across unmounts" is not vacuous.
 */
@ExtendWith(Seed.Extension.class)
class ReaderThreadsTest {

    static final int VIRTUAL = 2_000;
    static final int ESTABLISHED = 512;
    static final int CALLS = 50;

    static ConnectionKey established(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 443, 0xC6336400 + (i >>> 8), 1024 + (i & 0xFF));
    }

    static ConnectionKey churn(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 443, 0xCB007100, 20_000 + i);
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    @Timeout(120)
    void virtualThreadsKeepTheirHandlesAcrossUnmounts(final Strategy strategy, final Seed seed) throws Exception {
        final Queue<String> violations = new ConcurrentLinkedQueue<>();
        final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        final LongAdder calls = new LongAdder();
        final LongAdder moved = new LongAdder();
        try (ConnectionTable t = ConnectionTable.builder(strategy).initialBuckets(16).build()) {
            for (int i = 0; i < ESTABLISHED; i++) {
                final ControlBlock b = t.insert(established(i));
                b.attach(established(i));
                b.unlock();
            }
            final AtomicBoolean done = new AtomicBoolean();
            final Thread writer = Thread.ofPlatform().name("vthreads-writer").start(() -> {
                int i = 0;
                try {
                    while (!done.get()) {
                        final ControlBlock b = t.insert(churn(i & 1023));
                        if (b != null) {
                            b.unlock();
                        }
                        t.remove(churn((i + 512) & 1023));
                        i++;
                    }
                } catch (final Throwable e) {
                    errors.add(e);
                }
            });
            final List<Thread> threads = new ArrayList<>();
            for (int v = 0; v < VIRTUAL; v++) {
                final SplittableRandom r = new SplittableRandom(seed.value() + v);
                threads.add(Thread.ofVirtual().name("reader-v" + v).start(() -> {
                    try {
                        final Reader handle = t.reader();
                        final Set<String> carriers = new HashSet<>();
                        for (int n = 0; n < CALLS; n++) {
                            final ConnectionKey k = established(r.nextInt(ESTABLISHED));
                            final boolean found = switch (r.nextInt(4)) {
                                case 0 -> unlockIfFound(handle.lookup(k, LockMode.READ), k, violations);
                                case 1 -> unlockIfFound(ReaderContractTest.lookupFields(handle, k, LockMode.WRITE), k,
                                        violations);
                                case 2 -> k.equals(handle.read(k, ControlBlock::attachment));
                                default -> k.equals(ReaderContractTest.readFields(handle, k, ControlBlock::attachment));
                            };
                            if (!found) {
                                violations.add("missed established " + k + " on " + Thread.currentThread());
                            }
                            calls.increment();
                            carriers.add(carrier());
                            Thread.yield(); // unmounts; may resume on another carrier
                        }
                        if (carriers.size() > 1) {
                            moved.increment();
                        }
                    } catch (final Throwable e) {
                        errors.add(e);
                    }
                }));
            }
            for (final Thread th : threads) {
                TestSupport.join(th, "virtual reader");
            }
            done.set(true);
            TestSupport.join(writer, "writer");
            System.out.printf("ReaderThreadsTest %s: %,d calls on %,d virtual threads, %,d ran on more than one carrier%n",
                    strategy, calls.sum(), VIRTUAL, moved.sum());
            assertThat(errors).isEmpty();
            assertThat(violations).isEmpty();
            assertThat(calls.sum()).isEqualTo((long) VIRTUAL * CALLS);
            assertThat(moved.sum()).as("virtual threads resumed on another carrier").isPositive();
            for (int i = 0; i < 4096; i++) { // grows the table: the lockless ones wait for every reader
                final ControlBlock b = t.insert(churn(2048 + i));
                if (b != null) {
                    b.unlock();
                }
            }
            assertThat(TableProbe.sectionOrTableLockHeld(t)).isFalse();
            TableProbe.validate(t);
        }
    }

    static boolean unlockIfFound(final ControlBlock b, final ConnectionKey k, final Queue<String> violations) {
        if (b == null) {
            return false;
        }
        if (b.isFreed() || !k.equals(b.key()) || !(b.isReadLocked() || b.isWriteLocked())) {
            violations.add("lookup of " + k + " returned " + b);
        }
        b.unlock();
        return true;
    }

    /** The carrier part of a virtual thread's toString ({@code VirtualThread[#22,name]/runnable@ForkJoinPool-1-worker-1}). */
    static String carrier() {
        final String s = Thread.currentThread().toString();
        final int at = s.lastIndexOf('@');
        return at < 0 ? s : s.substring(at + 1);
    }
}
