package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PserializePool}: immediate reuse, hooks, high-water shrinking behind perform(),
 * hard limit, close, misuse, virtual threads. Every test ends with checkInvariants() on the
 * pools it built.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PserializePoolTest {
    /** A pooled object that records what the hooks did to it. */
    static final class Item {
        final long serial;
        volatile boolean initialised;
        volatile boolean finalised;
        volatile int constructs;
        volatile int destructs;

        Item(final long serial) {
            this.serial = serial;
        }
    }

    /** Counts hook calls. */
    static final class Hooks {
        final AtomicLong serials = new AtomicLong();
        final AtomicInteger init = new AtomicInteger();
        final AtomicInteger fini = new AtomicInteger();
        final AtomicInteger construct = new AtomicInteger();
        final AtomicInteger destruct = new AtomicInteger();

        @SuppressWarnings("NonAtomicVolatileUpdate") // hooks run for an object on one thread at a time (its holder)
        PserializePool.Builder<Item> builder(final String name) {
            return PserializePool.<Item>builder(name, () -> new Item(serials.incrementAndGet()))
                    .init(o -> {
                        assertThat(o.initialised).as("init once").isFalse();
                        o.initialised = true;
                        init.incrementAndGet();
                    })
                    .fini(o -> {
                        assertThat(o.finalised).as("fini once").isFalse();
                        o.finalised = true;
                        fini.incrementAndGet();
                    })
                    .construct(o -> {
                        o.constructs++;
                        construct.incrementAndGet();
                    })
                    .destruct(o -> {
                        o.destructs++;
                        destruct.incrementAndGet();
                    });
        }
    }

    private final List<PserializePool<?>> pools = new ArrayList<>();

    private <T> PserializePool<T> track(final PserializePool<T> pool) {
        pools.add(pool);
        return pool;
    }

    @AfterEach
    void invariants() {
        for (final PserializePool<?> pool : pools) {
            pool.checkInvariants();
        }
    }

    @Test
    void objectPutIsHandedOutAgainAtOnceWithoutBarrier() {
        final Hooks hooks = new Hooks();
        final PserializePool<Item> pool = track(hooks.builder("reuse").stripes(1).build());
        final Item a = pool.get();
        pool.put(a);
        final Item b = pool.get();
        assertThat(b).as("the same object comes back right after put").isSameAs(a);
        assertThat(b.constructs).isEqualTo(2);
        assertThat(b.destructs).isEqualTo(1);
        assertThat(pool.pserialize().stats().performs()).as("no barrier on put/get").isZero();
        final PserializePool.Stats stats = pool.stats();
        assertThat(stats.gets()).isEqualTo(2);
        assertThat(stats.hits()).isEqualTo(1);
        assertThat(stats.created()).isEqualTo(1);
        assertThat(stats.puts()).isEqualTo(1);
        pool.put(b);
    }

    @Test
    void hooksRunOncePerObjectOrPerCall() throws Exception {
        final Hooks hooks = new Hooks();
        final PserializePool<Item> pool = track(hooks.builder("hooks").stripes(2).magazineSize(3).hiwat(4).build());
        final int threads = 4;
        final int rounds = 2_000;
        final List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("worker-" + t).start(() -> {
                final List<Item> held = new ArrayList<>();
                for (int i = 0; i < rounds; i++) {
                    held.add(pool.get());
                    if ((i & 15) == 15) {
                        while (!held.isEmpty()) {
                            pool.put(held.removeLast());
                        }
                    }
                }
                held.forEach(pool::put);
            }));
        }
        for (final Thread w : workers) {
            w.join(30_000);
        }
        final PserializePool.Stats before = pool.stats();
        assertThat(before.gets()).isEqualTo((long) threads * rounds);
        assertThat(before.puts()).isEqualTo((long) threads * rounds);
        assertThat(hooks.construct.get()).isEqualTo(threads * rounds);
        assertThat(hooks.destruct.get()).isEqualTo(threads * rounds);
        assertThat(hooks.init.get()).isEqualTo((int) before.created());
        assertThat(before.hits() + before.created()).isEqualTo(before.gets());
        assertThat(before.finalised()).as("shrunk beyond hiwat").isPositive();
        assertThat(pool.pserialize().stats().performs()).as("one perform per batch").isEqualTo(before.batches());
        pool.close();
        assertThat(hooks.fini.get()).as("every object finalised once by close").isEqualTo(hooks.init.get());
        assertThat(pool.stats().allocated()).isZero();
    }

    @Test
    void shrinkBeyondHiwatFinalisesOneBatchBehindOnePerform() {
        final Hooks hooks = new Hooks();
        final PserializePool<Item> pool = track(hooks.builder("hiwat").stripes(1).magazineSize(2).hiwat(2).build());
        final List<Item> items = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            items.add(pool.get());
        }
        // Stripe holds 4; every 2 puts beyond move a magazine to the depot, which keeps 2.
        for (int i = 0; i < 6; i++) {
            pool.put(items.removeLast());
        }
        assertThat(pool.stats().finalised()).isZero();
        pool.put(items.removeLast()); // 7th: second magazine to the depot, depot 4 > 2
        PserializePool.Stats stats = pool.stats();
        assertThat(stats.finalised()).isEqualTo(2);
        assertThat(stats.batches()).isEqualTo(1);
        assertThat(pool.pserialize().stats().performs()).isEqualTo(1);
        assertThat(stats.cached()).isEqualTo(5);
        assertThat(pool.reclaim()).isEqualTo(5);
        stats = pool.stats();
        assertThat(stats.finalised()).isEqualTo(7);
        assertThat(stats.batches()).isEqualTo(2);
        assertThat(stats.cached()).isZero();
        assertThat(stats.allocated()).isEqualTo(3);
        assertThat(pool.reclaim()).as("nothing cached: no batch").isZero();
        assertThat(pool.pserialize().stats().performs()).isEqualTo(2);
        items.forEach(pool::put);
    }

    @Test
    void finalisationWaitsForAReaderThatFoundTheObject() throws Exception {
        final Hooks hooks = new Hooks();
        final PserializePool<Item> pool = track(hooks.builder("waits").build());
        final Item item = pool.get();
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final AtomicInteger finalisedSeenInside = new AtomicInteger();
        final Thread reader = Thread.ofPlatform().name("reader").start(() -> {
            pool.pserialize().enter();
            try {
                final Item found = item; // found through some structure before the writer unlinked it
                inside.countDown();
                PserializeTest.awaitUninterruptibly(leave);
                if (found.finalised) {
                    finalisedSeenInside.incrementAndGet();
                }
            } finally {
                pool.pserialize().exit();
            }
        });
        PserializeTest.awaitUninterruptibly(inside);
        pool.put(item);
        final CompletableFuture<Integer> reclaim = new CompletableFuture<>();
        Thread.ofPlatform().name("writer-reclaim").start(() -> {
            try {
                reclaim.complete(pool.reclaim());
            } catch (final Throwable t) {
                reclaim.completeExceptionally(t);
            }
        });
        PserializeTest.assertBlocked(reclaim);
        assertThat(item.finalised).as("not finalised while the reader is inside").isFalse();
        leave.countDown();
        assertThat(reclaim.get(10, TimeUnit.SECONDS)).isEqualTo(1);
        reader.join(10_000);
        assertThat(finalisedSeenInside.get()).isZero();
        assertThat(item.finalised).isTrue();
    }

    @Test
    void hardLimitMakesGetWaitAndTryGetFail() throws Exception {
        final Hooks hooks = new Hooks();
        final PserializePool<Item> pool = track(hooks.builder("limited").hardLimit(3).build());
        final List<Item> items = new ArrayList<>(List.of(pool.get(), pool.get(), pool.get()));
        assertThat(pool.tryGet()).isNull();
        final CompletableFuture<Item> waiter = new CompletableFuture<>();
        final Thread t = Thread.ofVirtual().name("getter-waits").start(() -> {
            try {
                waiter.complete(pool.get());
            } catch (final Throwable e) {
                waiter.completeExceptionally(e);
            }
        });
        PserializeTest.assertBlocked(waiter);
        final Item back = items.removeFirst();
        pool.put(back); // from another stripe, most likely: the waiter steals it
        assertThat(waiter.get(10, TimeUnit.SECONDS)).isSameAs(back);
        t.join(10_000);
        final PserializePool.Stats stats = pool.stats();
        assertThat(stats.created()).isEqualTo(3);
        assertThat(stats.allocated()).isEqualTo(3);
        assertThat(stats.limitWaits()).isEqualTo(1);
        // Finalising frees capacity: a reclaim lets a new object be created.
        pool.put(items.removeFirst());
        assertThat(pool.reclaim()).isEqualTo(1);
        final Item fresh = pool.tryGet();
        assertThat(fresh).isNotNull();
        assertThat(pool.stats().created()).isEqualTo(4);
        pool.put(fresh);
        pool.put(items.removeFirst());
        pool.put(waiter.get());
    }

    @Test
    void closeFinalisesCachedObjectsAndLaterUseThrows() throws Exception {
        final Hooks hooks = new Hooks();
        final PserializePool<Item> pool = track(hooks.builder("closing").build());
        final Item out = pool.get();
        final Item cached = pool.get();
        pool.put(cached);
        assertThat(pool.toString()).contains("closing");
        pool.close();
        assertThat(cached.finalised).isTrue();
        assertThat(out.finalised).as("objects handed out are left to their holders").isFalse();
        pool.close(); // idempotent
        for (final Runnable call : List.<Runnable>of(pool::get, pool::tryGet, () -> pool.put(out), pool::reclaim)) {
            assertThatThrownBy(call::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pool 'closing' is closed")
                    .hasMessageContaining(Thread.currentThread().getName());
        }
        assertThat(pool.toString()).contains("closed");
        // A get waiting at the hard limit is released by close.
        final Hooks h2 = new Hooks();
        final PserializePool<Item> limited = track(h2.builder("closing-limited").hardLimit(1).build());
        final Item only = limited.get();
        final CompletableFuture<Item> waiter = new CompletableFuture<>();
        Thread.ofPlatform().name("getter-waits").start(() -> {
            try {
                waiter.complete(limited.get());
            } catch (final Throwable e) {
                waiter.completeExceptionally(e);
            }
        });
        PserializeTest.assertBlocked(waiter);
        limited.close();
        assertThatThrownBy(() -> waiter.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closing-limited");
        assertThat(only.finalised).isFalse();
    }

    @Test
    void misuseIsReported() {
        final Hooks hooks = new Hooks();
        final PserializePool<Item> pool = track(hooks.builder("misuse").stripes(1).magazineSize(1).hiwat(0).build());
        assertThatThrownBy(() -> pool.put(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("pool 'misuse'").hasMessageContaining("put(null)");
        final Item a = pool.get();
        final Item b = pool.get();
        final Item c = pool.get();
        pool.pserialize().enter();
        try {
            assertThatThrownBy(pool::reclaim).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pool 'misuse'").hasMessageContaining("reclaim() inside a read section");
            assertThatThrownBy(pool::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("close() inside a read section");
            pool.put(a);
            pool.put(b);
            pool.put(c); // overflows beyond hiwat 0 inside a section: the shrink is deferred
            assertThat(pool.stats().deferredShrinks()).isPositive();
            assertThat(pool.stats().finalised()).isZero();
        } finally {
            pool.pserialize().exit();
        }
        assertThat(pool.reclaim()).isEqualTo(3);
        assertThatThrownBy(() -> PserializePool.builder("bad", Object::new).magazineSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad");
        assertThatThrownBy(() -> PserializePool.builder("bad", Object::new).stripes(3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PserializePool.builder("bad", Object::new).hardLimit(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PserializePool.builder("bad", Object::new).hiwat(-1))
                .isInstanceOf(IllegalArgumentException.class);
        final PserializePool<Object> nulls = track(PserializePool.builder("nulls", () -> null).build());
        assertThatThrownBy(nulls::get).isInstanceOf(NullPointerException.class).hasMessageContaining("nulls");
        assertThat(nulls.stats().allocated()).isZero();
    }

    @Test
    void hookFailures() {
        final AtomicInteger fails = new AtomicInteger(1);
        final AtomicInteger finis = new AtomicInteger();
        final PserializePool<Item> pool = track(PserializePool.<Item>builder("failing", () -> new Item(0))
                .stripes(1)
                .construct(o -> {
                    if (fails.getAndDecrement() > 0) {
                        throw new IllegalArgumentException("construct failed");
                    }
                })
                .fini(o -> {
                    finis.incrementAndGet();
                    throw new IllegalStateException("fini failed");
                })
                .build());
        assertThatThrownBy(pool::get).hasMessage("construct failed");
        assertThat(pool.stats().cached()).as("the object went back to the cache").isEqualTo(1);
        final Item a = pool.get();
        final Item b = pool.get();
        pool.put(a);
        pool.put(b);
        // fini runs for a batch, often in another thread's put: its failures are counted and
        // logged, not thrown at whoever happened to shrink the pool.
        try (Faults.LogCapture log = new Faults.LogCapture("org.smr4j.pool")) {
            assertThat(pool.reclaim()).isEqualTo(2);
            assertThat(log.count("pool 'failing': fini threw", java.util.logging.Level.WARNING)).isEqualTo(1);
            assertThat(log.count("pool 'failing': fini threw", java.util.logging.Level.FINE)).isEqualTo(1);
        }
        assertThat(finis.get()).as("the whole batch was finalised").isEqualTo(2);
        assertThat(pool.stats().hookFailures()).isEqualTo(2);
        assertThat(pool.stats().allocated()).isZero();
    }

    /**
     * Issue 13.2, PserializePool: a fini that threw a checked exception (sneakily) escaped the
     * catch of RuntimeException and Error, so the rest of the batch was never finalised and
     * the allocated count never went down: with hardLimit(4) the next get() waited for ever
     * while no object existed.
     */
    @Test
    void aFiniThrowingACheckedExceptionDoesNotSkipTheRestOfTheBatch() throws Exception {
        final AtomicInteger finis = new AtomicInteger();
        final PserializePool<Item> pool = track(PserializePool.<Item>builder("checked-fini", () -> new Item(0))
                .stripes(1).hardLimit(4)
                .fini(o -> {
                    if (finis.incrementAndGet() == 1) {
                        throw Faults.<RuntimeException>sneaky(new Faults.InjectedChecked("fini"));
                    }
                })
                .build());
        final List<Item> held = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            held.add(pool.get());
        }
        held.forEach(pool::put);
        org.assertj.core.api.Assertions.assertThatCode(pool::reclaim).doesNotThrowAnyException();
        assertThat(finis.get()).as("every object of the batch finalised").isEqualTo(4);
        assertThat(pool.stats().allocated()).isZero();
        final CompletableFuture<Item> got = CompletableFuture.supplyAsync(pool::get,
                t -> Thread.ofPlatform().name("checked-fini-getter").start(t));
        assertThat(got.get(10, TimeUnit.SECONDS)).as("get at the hard limit after the shrink").isNotNull();
    }

    @Test
    void sharedPserializeAndVirtualThreads() throws Exception {
        final Pserialize psz = Pserialize.create("shared");
        final Hooks h1 = new Hooks();
        final Hooks h2 = new Hooks();
        final PserializePool<Item> p1 = track(h1.builder("one").pserialize(psz).magazineSize(4).hiwat(8).build());
        final PserializePool<Item> p2 = track(h2.builder("two").pserialize(psz).magazineSize(4).hiwat(8).build());
        assertThat(p1.pserialize()).isSameAs(psz).isSameAs(p2.pserialize());
        final int tasks = 20_000;
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            final List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                final int n = i;
                futures.add(executor.submit(() -> {
                    final PserializePool<Item> pool = (n & 1) == 0 ? p1 : p2;
                    final Item x = pool.get();
                    final Item y = pool.get();
                    psz.enter();
                    psz.exit();
                    pool.put(y);
                    pool.put(x);
                }));
            }
            for (final Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        }
        final PserializePool.Stats s1 = p1.stats();
        assertThat(s1.gets()).isEqualTo(tasks);
        assertThat(s1.puts()).isEqualTo(tasks);
        assertThat(s1.allocated()).isEqualTo(s1.cached());
        p1.close();
        p2.close();
        assertThat(h1.fini.get()).isEqualTo(h1.init.get());
        assertThat(h2.fini.get()).isEqualTo(h2.init.get());
    }
}
