package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Semantics of {@link Pserialize}: who {@code perform()} waits for and who it does not, nesting,
 * misuse, dead threads, virtual threads, coalescing. Each blocking test is parameterised over
 * fence-free readers (membarrier; the normal run has native access) and fenced readers (the
 * fallback path, forced in-process with {@link Pserialize#createFenced}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PserializeTest {
    /** How long a perform that must block is watched before the test lets the reader go. */
    private static final Duration BLOCKED = Duration.ofMillis(200);

    static Pserialize create(final String name, final boolean fenced) {
        return fenced ? Pserialize.createFenced(name) : Pserialize.create(name);
    }

    /** A reader thread that enters, reports, and stays inside until released. */
    private static final class ParkedReader implements AutoCloseable {
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Thread thread;

        ParkedReader(final Pserialize psz, final String role, final int depth) {
            thread = Thread.ofPlatform().name(role).start(() -> {
                for (int i = 0; i < depth; i++) {
                    psz.enter();
                }
                inside.countDown();
                awaitUninterruptibly(release);
                for (int i = 0; i < depth; i++) {
                    psz.exit();
                }
            });
            awaitUninterruptibly(inside);
        }

        void leave() {
            release.countDown();
            try {
                thread.join(10_000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            assertThat(thread.isAlive()).as("reader %s finished", thread.getName()).isFalse();
        }

        @Override
        public void close() {
            leave();
        }
    }

    static void awaitUninterruptibly(final CountDownLatch latch) {
        boolean done = false;
        while (!done) {
            try {
                done = latch.await(30, TimeUnit.SECONDS);
                if (!done) {
                    throw new AssertionError("latch not released within 30 s");
                }
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static void await(final BooleanSupplier condition, final Duration timeout, final String what) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(1);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static Future<?> performAsync(final Pserialize psz, final String role) {
        final CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofPlatform().name(role).start(() -> {
            try {
                psz.perform();
                done.complete(null);
            } catch (final Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    static void assertBlocked(final Future<?> perform) throws Exception {
        assertThatThrownBy(() -> perform.get(BLOCKED.toMillis(), TimeUnit.MILLISECONDS))
                .as("perform() must still be waiting").isInstanceOf(TimeoutException.class);
    }

    @Test
    void performWithoutReadersReturns() {
        final Pserialize psz = Pserialize.create("empty");
        psz.perform();
        psz.perform();
        final Pserialize.Stats stats = psz.stats();
        assertThat(stats.performs()).isEqualTo(2);
        assertThat(stats.barriers()).isEqualTo(2);
        assertThat(stats.membarriers()).as("no record registered: no membarrier needed").isZero();
        assertThat(stats.waits()).isZero();
    }

    @Test
    void fenceFreeReadersWhereMembarrierWorks() {
        // The normal test run grants native access, so this is the fence-free path.
        assertThat(Pserialize.create("probe").fenceFreeReaders()).isEqualTo(AsymmetricFence.available());
        assertThat(Pserialize.createFenced("probe").fenceFreeReaders()).isFalse();
    }

    @ParameterizedTest(name = "fenced={0}")
    @ValueSource(booleans = {false, true})
    void performWaitsForReaderThatEnteredBefore(final boolean fenced) throws Exception {
        final Pserialize psz = create("waits", fenced);
        psz.perform(); // no reader yet
        try (ParkedReader reader = new ParkedReader(psz, "reader-inside", 1)) {
            final Future<?> perform = performAsync(psz, "writer-perform");
            assertBlocked(perform);
            reader.leave();
            perform.get(10, TimeUnit.SECONDS);
        }
        final Pserialize.Stats stats = psz.stats();
        assertThat(stats.waits()).isEqualTo(1);
        assertThat(stats.membarriers()).isEqualTo(fenced ? 0 : 1);
    }

    @Test
    void performWaitsForVirtualThreadReader() throws Exception {
        final Pserialize psz = Pserialize.create("virtual-reader");
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        // Parking inside a section is forbidden in real code; here it keeps the reader inside
        // while its carrier is free, which is the case a carrier-indexed slot would get wrong.
        final Thread reader = Thread.ofVirtual().name("reader-virtual").start(() -> {
            psz.enter();
            inside.countDown();
            awaitUninterruptibly(leave);
            psz.exit();
        });
        awaitUninterruptibly(inside);
        final Thread other = Thread.ofVirtual().name("reader-virtual-other").start(() -> {
            psz.enter();
            psz.exit();
        });
        other.join(10_000);
        final Future<?> perform = performAsync(psz, "writer-perform");
        assertBlocked(perform);
        leave.countDown();
        perform.get(10, TimeUnit.SECONDS);
        reader.join(10_000);
    }

    @ParameterizedTest(name = "fenced={0}")
    @ValueSource(booleans = {false, true})
    void readerEnteringAfterPerformBeganDoesNotBlockIt(final boolean fenced) throws Exception {
        final Pserialize psz = create("late", fenced);
        final ParkedReader early = new ParkedReader(psz, "reader-early", 1);
        final Future<?> perform = performAsync(psz, "writer-perform");
        assertBlocked(perform); // the round has begun and waits for the early reader
        try (ParkedReader late = new ParkedReader(psz, "reader-late", 1)) {
            assertThat(late.thread.isAlive()).isTrue();
            early.leave();
            // Returns while the late reader is still inside.
            perform.get(10, TimeUnit.SECONDS);
            assertThat(late.inside.getCount()).isZero();
            assertThat(late.release.getCount()).as("late reader still inside").isOne();
        }
    }

    @ParameterizedTest(name = "fenced={0}")
    @ValueSource(booleans = {false, true})
    void nestedSectionsCount(final boolean fenced) throws Exception {
        final Pserialize psz = create("nested", fenced);
        final CountDownLatch inner = new CountDownLatch(1);
        final CountDownLatch innerExited = new CountDownLatch(1);
        final CountDownLatch outer = new CountDownLatch(1);
        final Thread reader = Thread.ofPlatform().name("reader-nested").start(() -> {
            final Pserialize.Reader r = psz.reader();
            r.enter();
            psz.enter(); // the handle and the instance share the record
            assertThat(r.entered()).isTrue();
            inner.countDown();
            psz.exit();
            assertThat(psz.entered()).as("still inside the outer section").isTrue();
            innerExited.countDown();
            awaitUninterruptibly(outer);
            r.exit();
            assertThat(psz.entered()).isFalse();
        });
        awaitUninterruptibly(inner);
        final Future<?> perform = performAsync(psz, "writer-perform");
        awaitUninterruptibly(innerExited);
        assertBlocked(perform);
        outer.countDown();
        perform.get(10, TimeUnit.SECONDS);
        reader.join(10_000);
    }

    @Test
    void performInsideSectionThrows() {
        final Pserialize psz = Pserialize.create("self-wait");
        psz.enter();
        try {
            assertThatThrownBy(psz::perform)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("self-wait")
                    .hasMessageContaining("perform() inside a read section")
                    .hasMessageContaining(Thread.currentThread().getName());
        } finally {
            psz.exit();
        }
        psz.perform(); // fine outside
        // A section of another instance does not count.
        final Pserialize other = Pserialize.create("other");
        other.enter();
        try {
            psz.perform();
        } finally {
            other.exit();
        }
    }

    @Test
    void exitWithoutEnterThrows() {
        final Pserialize psz = Pserialize.create("unbalanced");
        assertThatThrownBy(psz::exit)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unbalanced").hasMessageContaining("exit() without enter()")
                .hasMessageContaining(Thread.currentThread().getName());
        psz.enter();
        psz.exit();
        assertThatThrownBy(psz::exit).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exit() without enter()");
        assertThatThrownBy(() -> psz.reader().exit()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unbalanced");
        psz.perform(); // the failed exits left nothing behind
    }

    @Test
    void handleFromAnotherThreadThrows() throws Exception {
        final Pserialize psz = Pserialize.create("foreign");
        final Pserialize.Reader mine = psz.reader();
        final AtomicReference<Throwable> enter = new AtomicReference<>();
        final AtomicReference<Throwable> exit = new AtomicReference<>();
        final AtomicReference<Throwable> entered = new AtomicReference<>();
        final Thread other = Thread.ofPlatform().name("reader-intruder").start(() -> {
            try {
                mine.enter();
            } catch (final Throwable t) {
                enter.set(t);
            }
            try {
                mine.exit();
            } catch (final Throwable t) {
                exit.set(t);
            }
            try {
                mine.entered();
            } catch (final Throwable t) {
                entered.set(t);
            }
        });
        other.join(10_000);
        for (final AtomicReference<Throwable> t : List.of(enter, exit, entered)) {
            assertThat(t.get()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("foreign")
                    .hasMessageContaining("reader-intruder")
                    .hasMessageContaining("does not own the handle");
        }
        assertThat(mine.entered()).isFalse();
        assertThat(mine.pserialize()).isSameAs(psz);
    }

    @ParameterizedTest(name = "fenced={0}")
    @ValueSource(booleans = {false, true})
    void threadThatDiesInsideSectionDoesNotBlockPerform(final boolean fenced) throws Exception {
        final Pserialize psz = create("dead", fenced);
        final Thread leaker = Thread.ofPlatform().name("reader-leaker").start(psz::enter);
        leaker.join(10_000);
        final Thread vleaker = Thread.ofVirtual().name("reader-vleaker").start(() -> {
            psz.enter();
            psz.enter();
        });
        vleaker.join(10_000);
        assertThat(psz.registry().size()).isEqualTo(2);
        final Future<?> perform = performAsync(psz, "writer-perform");
        perform.get(10, TimeUnit.SECONDS);
        assertThat(psz.stats().deadSkipped()).isEqualTo(1);
        // The round asked for a sweep; the records are gone (or recycled).
        assertThat(psz.registry().size()).isZero();
        // A recycled record starts outside a section for its new owner.
        final Thread reuse = Thread.ofPlatform().name("reader-reuse").start(() -> {
            psz.enter();
            psz.exit();
        });
        reuse.join(10_000);
        psz.perform();
        assertThat(psz.stats().waits()).isZero();
    }

    @Test
    void threadDyingWhilePerformWaitsReleasesIt() throws Exception {
        final Pserialize psz = Pserialize.create("dies-later");
        final CountDownLatch inside = new CountDownLatch(1);
        final CountDownLatch die = new CountDownLatch(1);
        final Thread leaker = Thread.ofPlatform().name("reader-dies").start(() -> {
            psz.enter();
            inside.countDown();
            awaitUninterruptibly(die);
            // ends without exit()
        });
        awaitUninterruptibly(inside);
        final Future<?> perform = performAsync(psz, "writer-perform");
        assertBlocked(perform);
        die.countDown();
        leaker.join(10_000);
        perform.get(10, TimeUnit.SECONDS);
        assertThat(psz.stats().waits()).isEqualTo(1);
        assertThat(psz.stats().deadSkipped()).isEqualTo(1);
    }

    @Test
    void hundredThousandVirtualThreadsThenPerformAndRegistryShrank() throws Exception {
        final Pserialize psz = Pserialize.create("virtual");
        final int threads = 100_000;
        final Semaphore inFlight = new Semaphore(1_000);
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                inFlight.acquire();
                final int n = i;
                executor.execute(() -> {
                    try {
                        psz.enter();
                        if ((n & 1) == 0) {
                            final Pserialize.Reader r = psz.reader();
                            r.enter();
                            r.exit();
                        }
                        psz.exit();
                    } finally {
                        inFlight.release();
                    }
                });
            }
        }
        psz.perform();
        final int before = psz.registry().size();
        // Amortised sweeps kept the registry proportional to the threads alive, not to 100,000.
        assertThat(before).isLessThan(5_000);
        assertThat(psz.registry().sweeps()).isGreaterThan(10);
        // The executor's close() returns when the tasks are done; a virtual thread may still be
        // alive for a moment after its task, so wait (bounded) for the last ones to end.
        await(() -> {
            psz.sweepReaders();
            return psz.registry().size() == 0;
        }, Duration.ofSeconds(10), "every record of the finished virtual threads swept");
        psz.perform();
        assertThat(psz.stats().waits()).isZero();
    }

    @Test
    void concurrentPerformsAreSafeAndCoalesce() throws Exception {
        final Pserialize psz = Pserialize.create("coalesce");
        final int writers = 8;
        final List<Future<?>> performs = new ArrayList<>();
        try (ParkedReader reader = new ParkedReader(psz, "reader-inside", 1)) {
            for (int i = 0; i < writers; i++) {
                performs.add(performAsync(psz, "writer-" + i));
            }
            await(() -> psz.stats().performs() == writers, Duration.ofSeconds(10), "all performs started");
            for (final Future<?> f : performs) {
                assertBlocked(f);
            }
            reader.leave();
            for (final Future<?> f : performs) {
                f.get(10, TimeUnit.SECONDS);
            }
        }
        final Pserialize.Stats stats = psz.stats();
        assertThat(stats.performs()).isEqualTo(writers);
        // One round waited for the reader; the callers queued behind it need one more round at
        // most, and the rest coalesce into it.
        assertThat(stats.barriers() + stats.coalesced()).isEqualTo(writers);
        assertThat(stats.barriers()).isLessThanOrEqualTo(2);
        assertThat(stats.coalesced()).isGreaterThanOrEqualTo(writers - 2);
    }

    @Test
    void statsAndToStringNameTheInstance() {
        final Pserialize psz = Pserialize.create("named");
        psz.enter();
        psz.exit();
        assertThat(psz.name()).isEqualTo("named");
        assertThat(psz.toString()).contains("named").contains("readers=1");
        assertThat(psz.reader().toString()).contains("named");
        assertThat(psz.stats().readers()).isEqualTo(1);
        assertThatThrownBy(() -> Pserialize.create(null)).isInstanceOf(NullPointerException.class);
    }
}
