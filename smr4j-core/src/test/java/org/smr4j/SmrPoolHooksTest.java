package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Lifecycle hooks: order, counts, the deferred destructor, and type stability. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // StalledReader is held for its scope, not referenced
class SmrPoolHooksTest {
    /** A pooled object with a lock set up once by init. */
    static final class Conn {
        static final AtomicInteger IDS = new AtomicInteger();
        final int id = IDS.incrementAndGet();
        ReentrantLock lock;
        boolean open;
    }

    private final List<String> log = new CopyOnWriteArrayList<>();

    private SmrPool.Builder<Conn> builder(final String name) {
        return SmrPool.builder(name, () -> {
            final Conn c = new Conn();
            log.add("factory " + c.id);
            return c;
        }).jmx(false)
                .init(c -> {
                    c.lock = new ReentrantLock();
                    log.add("init " + c.id);
                })
                .construct(c -> {
                    c.open = true;
                    log.add("construct " + c.id);
                })
                .destruct(c -> {
                    c.open = false;
                    log.add("destruct " + c.id);
                })
                .fini(c -> log.add("fini " + c.id));
    }

    @Test
    void hooksRunInKernelOrderAndDestructIsDeferred() {
        final SmrPool<Conn> pool = builder("hooks").magazineSize(4).build();
        final Conn a = pool.get();
        final ReentrantLock lockOfA = a.lock;
        assertThat(log).containsExactly("factory " + a.id, "init " + a.id, "construct " + a.id);
        assertThat(a.open).isTrue();
        log.clear();

        try (SmrPoolTesting.StalledReader r = new SmrPoolTesting.StalledReader(pool.smr(), "hooks-reader")) {
            pool.put(a);
            pool.flush();
            assertThat(pool.reclaim()).isZero();
            final Conn b = pool.get(); // cannot be a: the reader might hold it
            assertThat(b).isNotSameAs(a);
            assertThat(log).as("no destruct while a reader may hold a")
                    .doesNotContain("destruct " + a.id);
            pool.put(b);
            pool.flush();
            log.clear();
        }
        final Conn again = pool.get(); // a's batch has expired now
        assertThat(again).isSameAs(a);
        assertThat(again.lock).as("init state survives reuse").isSameAs(lockOfA);
        assertThat(log).containsExactly("destruct " + a.id, "construct " + a.id);
        log.clear();
        pool.put(again);
        pool.close();
        // a: destruct then fini; b: (already destructed when its batch expired) fini only
        assertThat(log).containsSubsequence("destruct " + a.id, "fini " + a.id);
        assertThat(log.stream().filter(s -> s.startsWith("init")).count()).isZero();
    }

    @Test
    void countsBalanceAfterClose() {
        final Map<Conn, int[]> counts = new ConcurrentHashMap<>();
        final SmrPool<Conn> pool = SmrPool.builder("counts", Conn::new).jmx(false).magazineSize(3)
                .init(c -> counts.computeIfAbsent(c, k -> new int[4])[0]++)
                .construct(c -> counts.get(c)[1]++)
                .destruct(c -> counts.get(c)[2]++)
                .fini(c -> counts.get(c)[3]++)
                .lowat(5)
                .build();
        int gets = 0;
        for (int round = 0; round < 50; round++) {
            final Conn[] held = new Conn[round % 7 + 1];
            for (int i = 0; i < held.length; i++) {
                held[i] = pool.get();
                gets++;
            }
            for (final Conn c : held) {
                pool.put(c);
            }
        }
        pool.checkInvariants();
        pool.close();
        int inits = 0;
        int constructs = 0;
        int destructs = 0;
        int finis = 0;
        for (final int[] c : counts.values()) {
            assertThat(c[0]).as("init once").isEqualTo(1);
            assertThat(c[3]).as("fini once").isEqualTo(1);
            assertThat(c[2]).as("one destruct per construct").isEqualTo(c[1]);
            inits += c[0];
            constructs += c[1];
            destructs += c[2];
            finis += c[3];
        }
        assertThat(constructs).isEqualTo(gets);
        assertThat(destructs).isEqualTo(gets);
        assertThat(inits).isEqualTo(finis).isEqualTo((int) pool.stats().created());
        assertThat(pool.stats().live()).isZero();
    }

    @Test
    void constructFailureDropsTheObjectAndPropagates() {
        final AtomicInteger calls = new AtomicInteger();
        final SmrPool<Conn> pool = SmrPool.builder("ctor-fails", Conn::new).jmx(false)
                .construct(c -> {
                    if (calls.incrementAndGet() == 2) {
                        throw new IllegalArgumentException("boom");
                    }
                }).build();
        pool.put(pool.get());
        assertThatThrownBy(pool::get).hasMessage("boom");
        assertThat(pool.stats().finalised()).isEqualTo(1);
        pool.checkInvariants();
        pool.close();
    }

    /**
     * Issue 13.2, SmrPool's finalise loop: a fini that threw a checked exception (sneakily)
     * escaped the catch of RuntimeException and Error, and left the rest of the batch
     * unfinalised and counted as live.
     */
    @Test
    void aFiniThrowingACheckedExceptionDoesNotSkipTheRestOfTheBatch() {
        final AtomicInteger finis = new AtomicInteger();
        final SmrPool<Conn> pool = SmrPool.builder("checked-fini", Conn::new).jmx(false).magazineSize(4)
                .fini(c -> {
                    if (finis.incrementAndGet() == 1) {
                        throw Faults.<RuntimeException>sneaky(new Faults.InjectedChecked("fini"));
                    }
                }).build();
        final Conn[] held = new Conn[4];
        for (int i = 0; i < held.length; i++) {
            held[i] = pool.get();
        }
        for (final Conn c : held) {
            pool.put(c);
        }
        org.assertj.core.api.Assertions.assertThatCode(pool::close).doesNotThrowAnyException();
        assertThat(finis.get()).as("fini ran for every object").isEqualTo(4);
        assertThat(pool.stats().finalised()).isEqualTo(4);
        assertThat(pool.stats().live()).isZero();
        assertThat(pool.stats().hookFailures()).isEqualTo(1);
    }

    /**
     * Issue 13.2, SmrPool's expire loop: a destruct that threw a checked exception left the
     * rest of the refilled batch out of the pool for good (live, but nowhere).
     */
    @Test
    void aDestructThrowingACheckedExceptionDoesNotLoseTheRestOfTheBatch() {
        final AtomicInteger destructs = new AtomicInteger();
        final SmrPool<Conn> pool = SmrPool.builder("checked-dtor", Conn::new).jmx(false).magazineSize(4).hardLimit(4)
                .destruct(c -> {
                    if (destructs.incrementAndGet() == 1) {
                        throw Faults.<RuntimeException>sneaky(new Faults.InjectedChecked("destruct"));
                    }
                }).build();
        final Conn[] held = new Conn[4];
        for (int i = 0; i < held.length; i++) {
            held[i] = pool.get();
        }
        for (final Conn c : held) {
            pool.put(c); // the fourth fills the free magazine
        }
        // At the hard limit the full magazine is tagged and queued, expires at once (no
        // reader) and refills the caller: its destruct loop meets the failure first.
        final Conn got = pool.get();
        assertThat(got).isIn((Object[]) held);
        assertThat(destructs.get()).as("destruct ran for the whole batch").isEqualTo(4);
        assertThat(pool.stats().hookFailures()).isEqualTo(1);
        assertThat(pool.stats().finalised()).as("only the object whose destruct threw is dropped").isEqualTo(1);
        assertThat(pool.stats().cached()).as("the other two wait in the magazine").isEqualTo(2);
        pool.checkInvariants();
        pool.put(got);
        pool.close();
    }

    /**
     * Issue 13.2, SmrPool's construct: a checked exception escaped, and the object was lost
     * while still counted live: at the hard limit the next get() waited for ever.
     */
    @Test
    void aConstructThrowingACheckedExceptionFinalisesTheObjectAndPropagates() throws Exception {
        final AtomicInteger constructs = new AtomicInteger();
        final AtomicInteger finis = new AtomicInteger();
        final SmrPool<Conn> pool = SmrPool.builder("checked-ctor", Conn::new).jmx(false).hardLimit(1)
                .construct(c -> {
                    if (constructs.incrementAndGet() == 1) {
                        throw Faults.<RuntimeException>sneaky(new Faults.InjectedChecked("construct"));
                    }
                })
                .fini(c -> finis.incrementAndGet())
                .build();
        final Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(pool::get);
        assertThat(thrown).as("the caller gets what construct threw, unchanged").isInstanceOf(Faults.InjectedChecked.class);
        assertThat(finis.get()).as("the object was finalised").isEqualTo(1);
        assertThat(pool.stats().live()).isZero();
        final java.util.concurrent.CompletableFuture<Conn> got = java.util.concurrent.CompletableFuture.supplyAsync(
                pool::get, t -> Thread.ofPlatform().name("checked-ctor-getter").start(t));
        assertThat(got.get(10, TimeUnit.SECONDS)).as("get at the hard limit after the failure").isNotNull();
        pool.checkInvariants();
        pool.put(got.get());
        pool.close();
    }

    @Test
    void destructFailureIsCountedAndTheObjectDropped() {
        final SmrPool<Conn> pool = SmrPool.builder("dtor-fails", Conn::new).jmx(false).magazineSize(1)
                .destruct(c -> {
                    throw new IllegalStateException("dtor");
                }).build();
        final Conn a = pool.get();
        pool.put(a);
        pool.flush();
        final Conn b = pool.get();
        assertThat(b).isNotSameAs(a);
        assertThat(pool.stats().hookFailures()).isEqualTo(1);
        assertThat(pool.stats().finalised()).isEqualTo(1);
        pool.put(b);
        pool.close();
        assertThat(pool.stats().live()).isZero();
    }
}
