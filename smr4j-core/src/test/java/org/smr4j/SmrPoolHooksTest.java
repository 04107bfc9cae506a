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
