package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * The table callbacks under faults (the netinet part of issue 13's fault-injection test): the
 * {@link ConnectionTable#forEach forEach} action and the {@link ConnectionTable#read read}
 * function throw a {@link RuntimeException}, an {@link Error} and a checked exception (a
 * sneaky throw, as a Kotlin lambda does) in turn, in every strategy. The exception must come
 * out unchanged, and afterwards: no block left locked, no reference left behind (the
 * structural validation checks that each block holds only the table's reference), no read
 * section of the calling thread left open and no table lock held, the counts exact, and the
 * table working (every connection found, a fresh one inserted, found and removed).
 *
 * <p>The forEach action throws at the second block it is handed, and the connections of the
 * lockless tables share one chain (the secret is fixed and the keys chosen to collide), so that
 * the iteration holds references on blocks it has not visited yet when the action throws.
 * Before {@code LocklessConnectionTable.visitAll} dropped those in a {@code finally}, the
 * validation failed here with a block holding two references.
 */
class CallbackFaultTest {

    static final int BUCKETS = 8;
    static final int CONNECTIONS = 6;

    /** {@value #CONNECTIONS} keys in bucket 0 of {@value #BUCKETS} under the fixed secret. */
    static final List<ConnectionKey> KEYS = collidingKeys();

    static List<ConnectionKey> collidingKeys() {
        final List<ConnectionKey> keys = new ArrayList<>();
        for (int i = 0; keys.size() < CONNECTIONS; i++) {
            final ConnectionKey k = ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 22, 0xC0000201, 2_000 + i);
            if (TableProbe.bucketOf(k, BUCKETS) == 0) {
                keys.add(k);
            }
        }
        return keys;
    }

    enum Fault {
        RUNTIME(() -> new IllegalArgumentException("injected runtime exception")),
        ERROR(() -> new AssertionError("injected error")),
        CHECKED(() -> new java.io.IOException("injected checked exception"));

        final java.util.function.Supplier<Throwable> make;

        Fault(final java.util.function.Supplier<Throwable> make) {
            this.make = make;
        }
    }

    enum Callback {
        FOR_EACH, READ
    }

    static Stream<Arguments> cases() {
        return Stream.of(Strategy.values()).flatMap(s -> Stream.of(Callback.values())
                .flatMap(cb -> Stream.of(Fault.values()).map(f -> Arguments.of(s, cb, f))));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    @Timeout(60)
    void aThrowingCallbackLeavesNothingHeldAndTheTableWorking(final Strategy strategy, final Callback callback,
            final Fault fault) {
        try (ConnectionTable t = TableProbe.fixSecret(ConnectionTable.builder(strategy).name("fault-" + strategy)
                .initialBuckets(BUCKETS).maxChain(1 << 20).build())) {
            for (final ConnectionKey k : KEYS) {
                final ControlBlock b = t.insert(k);
                b.attach(k.toString());
                b.unlock();
            }
            if (TableProbe.lockless(strategy)) {
                assertThat(t.longestChain()).as("one chain").isEqualTo(CONNECTIONS);
            }
            final ConnectionTable.Stats before = t.stats();
            for (final LockMode mode : LockMode.values()) {
                final Throwable injected = fault.make.get();
                final Throwable thrown = switch (callback) {
                    case FOR_EACH -> {
                        final AtomicInteger visits = new AtomicInteger();
                        yield catchThrowable(() -> t.forEach(mode, b -> {
                            if (visits.incrementAndGet() == 2) {
                                throw TestSupport.sneakyThrow(injected);
                            }
                        }));
                    }
                    case READ -> catchThrowable(() -> t.read(KEYS.get(2), (Function<ControlBlock, Object>) b -> {
                        throw TestSupport.sneakyThrow(injected);
                    }));
                };
                assertThat(thrown).as("the callback's own throwable, unchanged (" + mode + ")").isSameAs(injected);
                assertThat(TableProbe.sectionOrTableLockHeld(t)).as("a read section or the table lock left held")
                        .isFalse();
                for (final ConnectionKey k : KEYS) {
                    final ControlBlock b = t.read(k, x -> x);
                    assertThat(b).as("present: %s", k).isNotNull();
                    assertThat(b.isReadLocked() || b.isWriteLocked()).as("left locked: %s", b).isFalse();
                }
                final ConnectionTable.Stats after = t.stats();
                assertThat(after.size()).isEqualTo(CONNECTIONS);
                assertThat(after.inserts()).isEqualTo(before.inserts());
                assertThat(after.removes()).isEqualTo(before.removes());
                assertThat(after.blocksCreated()).isEqualTo(before.blocksCreated());
                TableProbe.validate(t);
            }
            final Set<Object> attachments = new HashSet<>();
            t.forEach(LockMode.READ, b -> attachments.add(b.attachment()));
            assertThat(attachments).hasSize(CONNECTIONS);
            ConnectionTableContractTest.stillWorksWith(t, KEYS.get(0));
        }
    }
}
