package org.smr4j;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Stateful fuzzing of {@link SmrRetireQueue}: random sequences of every entry point (bad
 * arguments, calls in the wrong state and calls from inside actions included) against a model
 * of what was retired, on every domain mode, with and without a background thread, from one
 * thread and from several at once. jqwik generates and shrinks the sequences; a failure prints
 * the shortest sequence it found and the seed.
 *
 * <h2>The model and what is checked</h2>
 * Every retire creates an {@code Item} that records the read sections open when it was
 * retired (the ids of sections entered and not yet exited, taken before the call) and counts
 * its runs. The fuzz threads are the readers: {@code ENTER} opens a section that stays open
 * over the following steps until {@code EXIT}; a section id is published after
 * {@code enter()} returns and withdrawn before {@code exit()} is called, so a snapshotted id
 * that is still published when the action runs is a section that began before the retire and
 * has not ended: the action ran before its goal. {@code STALL} .. {@code UNSTALL} does the same
 * with a reader on a thread of its own (one at a time), so that even one fuzz thread can have
 * a reader inside while its batches are tagged and polled; {@code awaitAll} and {@code close}
 * let it go first (they would wait for it).
 * <ul>
 *   <li>Always (recorded by the action on whatever thread runs it, checked after every step):
 *       no item runs while a section open at its retire is still open; no item runs twice;
 *       an item whose retire was refused never runs; the action's nested calls behave as
 *       documented ({@code poll()} returns 0, {@code awaitAll()} and {@code close()} throw
 *       {@link IllegalStateException}); one thread: actions run in retire order.</li>
 *   <li>After every step (one thread, no background thread) or after the threads joined:
 *       {@code retired} = accepted retires, {@code ran} = items run, {@code failed} = throwing
 *       items run, {@code pending = retired - ran}, no pending batch when nothing is pending,
 *       {@code batchesPending <= batches}. With a background thread, only what {@code stats()}
 *       reads under the queue's lock ({@code pending >= 0}, {@code batchesPending <= batches}):
 *       its adders are summed one after the other, so a snapshot taken while another thread
 *       runs a batch may show {@code failed > ran} or {@code ran > retired} (seen; a
 *       non-invariant of the snapshot, not a lost count: the exact checks hold after close).</li>
 *   <li>{@code awaitAll()}: every item this thread had retired before the call has run when it
 *       returns, and (one thread) it returns the number it ran. {@code close()}: every
 *       accepted item has run; later retires are refused. Both are called while the stalled
 *       reader is still inside (it is let go from another thread 2 ms later), so their
 *       waiting path must wait.</li>
 *   <li>Liveness (one thread, default mode, no reader inside): a flush and a poll run
 *       everything retired, and poll returns the number it ran.</li>
 *   <li>Bad arguments and wrong states are refused with the documented exception
 *       <em>type</em> (messages are not compared: they name the argument, but their wording
 *       is not part of this oracle) and change nothing: {@code retire(null, a)},
 *       {@code retire(o, null)}, a retire after close, {@code flush}/{@code awaitAll}/
 *       {@code close} inside a section, out-of-range builder arguments.</li>
 *   <li>At the end: sections exited, the queue closed, every accepted item ran exactly once,
 *       the counters exact, the domain valid ({@code DomainValidation.check}).</li>
 * </ul>
 *
 * <h2>Checked against injected bugs</h2>
 * Each injected by hand in {@code SmrRetireQueue}, both properties run, then reverted (not
 * committed). (1) {@code runExpired}'s non-waiting path dequeuing the head batch without
 * polling its goal ({@code if (b == null) break;} in place of the poll test), so a batch
 * runs while a reader that could hold its objects is inside: both properties failed, shrunk
 * to {@code STALL, RETIRE, UNSTALL, STALL, RETIRE} (one thread, batch size 1) with "item 1
 * ran while section 1, open at its retire, is still open", and to a two-thread sequence
 * with the same message. (2) {@code run()} not taking a batch of one out of
 * {@code pendingActions}: both failed, shrunk to a single {@code RETIRE}, with "stats:
 * pending ... retired=1, ran=1, pending=1". Before the {@code STALL} reader existed,
 * injection (1) failed only the threaded property: one thread cannot have a section open
 * while it tags a batch (a retire inside a section never advances).
 *
 * <p>Runtime: {@value #TRIES} tries of up to {@value #MAX_OPS} operations, and
 * {@value #THREADED_TRIES} tries of {@value #THREADS} threads (platform and virtual).
 */
class SmrRetireQueueFuzzTest {
    static final int TRIES = 200;
    static final int THREADED_TRIES = 40;
    static final int MAX_OPS = 60;
    static final int THREADS = 3;

    /** The operations. */
    enum Kind {
        RETIRE, RETIRE_THROWING, RETIRE_CHILD, RETIRE_NESTED_CALLS, RETIRE_IN_SECTION, RETIRE_NULL_OBJECT,
        RETIRE_NULL_ACTION, ENTER, EXIT, STALL, UNSTALL, POLL, FLUSH, AWAIT_ALL, ADVANCE_POLL, STATS, CLOSE, BAD_BUILDER
    }

    /** One operation and its argument. */
    record Op(Kind kind, int arg) {
    }

    /** A queue configuration. */
    record Config(Smr.Mode mode, int batchSize, boolean background) {
        Smr domain(final String name) {
            return switch (mode) {
                case DEFAULT -> Smr.create(name);
                case DEFERRED -> Smr.builder(name).deferred(3).build();
                case LAZY -> Smr.builder(name).lazy(Duration.ofNanos(50_000)).build();
            };
        }
    }

    @Provide
    Arbitrary<Config> configs() {
        return Combinators.combine(Arbitraries.of(Smr.Mode.class), Arbitraries.integers().between(1, 5),
                Arbitraries.of(false, false, true)).as(Config::new);
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        return ops(MAX_OPS, 2);
    }

    @Provide
    Arbitrary<List<List<Op>>> threadOps() {
        return ops(MAX_OPS, 0).list().ofSize(THREADS);
    }

    /** Operation lists; {@code closeWeight} 0 leaves CLOSE out (the threaded test closes at the end, and rarely midway). */
    static Arbitrary<List<Op>> ops(final int max, final int closeWeight) {
        final List<Tuple.Tuple2<Integer, Arbitrary<Kind>>> weights = new ArrayList<>(List.of(
                Tuple.of(12, Arbitraries.just(Kind.RETIRE)),
                Tuple.of(3, Arbitraries.of(Kind.ENTER, Kind.EXIT)),
                Tuple.of(2, Arbitraries.of(Kind.STALL, Kind.UNSTALL)),
                Tuple.of(3, Arbitraries.of(Kind.POLL, Kind.FLUSH, Kind.ADVANCE_POLL)),
                Tuple.of(1, Arbitraries.of(Kind.RETIRE_THROWING, Kind.RETIRE_CHILD, Kind.RETIRE_NESTED_CALLS,
                        Kind.RETIRE_IN_SECTION, Kind.RETIRE_NULL_OBJECT, Kind.RETIRE_NULL_ACTION, Kind.AWAIT_ALL,
                        Kind.STATS, Kind.BAD_BUILDER))));
        if (closeWeight > 0) {
            weights.add(Tuple.of(closeWeight, Arbitraries.just(Kind.CLOSE)));
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        final Arbitrary<Kind> kinds = Arbitraries.frequencyOf(weights.toArray(new Tuple.Tuple2[0]));
        return Combinators.combine(kinds, Arbitraries.integers().between(0, 1 << 20)).as(Op::new).list().ofMaxSize(max);
    }

    /** A retired object: what was open when it was retired, and how often it ran. */
    static final class Item {
        final long id;
        final Long[] openAtRetire;
        final boolean throwing;
        final AtomicInteger runs = new AtomicInteger();
        /** Set once its retire returned normally. */
        volatile boolean accepted;
        /** Set if its retire threw. */
        volatile boolean refused;

        Item(final long id, final Long[] openAtRetire, final boolean throwing) {
            this.id = id;
            this.openAtRetire = openAtRetire;
            this.throwing = throwing;
        }

        @Override
        public String toString() {
            return "item " + id;
        }
    }

    /** A failure thrown on purpose by an action (an Error, so that it is not a RuntimeException). */
    static final class ActionError extends Error {
        private static final long serialVersionUID = 1L;

        ActionError(final String what) {
            super(what, null, false, false);
        }
    }

    /** The queue under test, its model and the checks. */
    static final class Harness {
        final Config cfg;
        final Smr smr;
        final SmrRetireQueue queue;
        final boolean threaded;
        final AtomicLong ids = new AtomicLong();
        final AtomicLong sectionIds = new AtomicLong();
        /** Ids of sections entered (enter returned) and not yet exited (withdrawn before exit). */
        final Set<Long> open = ConcurrentHashMap.newKeySet();
        final ConcurrentLinkedQueue<Item> items = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        /** Ids in the order their actions ran (checked in the one-thread test). */
        final ConcurrentLinkedQueue<Long> runOrder = new ConcurrentLinkedQueue<>();
        /** The reader on a thread of its own (STALL .. UNSTALL), guarded by this harness. */
        SmrPoolTesting.StalledReader stalled;
        Long stalledId;
        /** The threads of unstallSoon, joined by cleanup. */
        final ConcurrentLinkedQueue<Thread> releasers = new ConcurrentLinkedQueue<>();
        /** Set before close() is called. */
        volatile boolean closing;
        /** Set after close() returned. */
        volatile boolean closed;

        Harness(final Config cfg, final String name, final boolean threaded) {
            this.cfg = cfg;
            this.threaded = threaded;
            this.smr = cfg.domain(name);
            final SmrRetireQueue.Builder b = SmrRetireQueue.builder(name, smr).batchSize(cfg.batchSize());
            if (cfg.background()) {
                b.backgroundPeriod(Duration.ofMillis(1));
            }
            this.queue = b.build();
        }

        /** Per-thread state: the open section, the items this thread retired. */
        static final class Mine {
            Long section;
            final List<Item> retired = new ArrayList<>();
        }

        Item newItem(final boolean throwing) {
            return new Item(ids.getAndIncrement(), open.toArray(new Long[0]), throwing);
        }

        /** What every action does first: the checks of the item it runs for. */
        void ran(final Item it) {
            final int n = it.runs.incrementAndGet();
            runOrder.add(it.id);
            if (n != 1) {
                violations.add(it + " ran " + n + " times");
            }
            if (it.refused) {
                violations.add(it + " ran although its retire was refused");
            }
            for (final Long s : it.openAtRetire) {
                if (open.contains(s)) {
                    violations.add(it + " ran while section " + s + ", open at its retire, is still open (thread "
                            + Thread.currentThread().getName() + ")");
                }
            }
        }

        /** Retires {@code it} with {@code action}; a refusal must be an ISE while closing. */
        void retire(final Item it, final java.util.function.Consumer<Item> action, final Mine mine) {
            items.add(it);
            final boolean afterClose = closed;
            try {
                queue.retire(it, action);
            } catch (final IllegalStateException e) {
                it.refused = true;
                expect(closing, "retire refused before close: " + e, e);
                return;
            }
            it.accepted = true;
            expect(!afterClose, "retire accepted after close() returned", null);
            if (mine != null) {
                mine.retired.add(it);
            }
        }

        void apply(final Op op, final Mine mine) {
            switch (op.kind()) {
                case RETIRE -> retire(newItem(false), this::ran, mine);
                case RETIRE_THROWING -> retire(newItem(true), it -> {
                    ran(it);
                    switch (op.arg() % 3) {
                        case 0 -> throw new IllegalArgumentException("thrown by " + it);
                        case 1 -> throw new ActionError("thrown by " + it);
                        default -> throw sneaky(new java.io.IOException("thrown by " + it));
                    }
                }, mine);
                case RETIRE_CHILD -> retire(newItem(false), it -> {
                    ran(it);
                    // retired from inside an action: queued behind the running batch, run later
                    retire(newItem(false), this::ran, null);
                }, mine);
                case RETIRE_NESTED_CALLS -> retire(newItem(false), it -> {
                    ran(it);
                    final long n = queue.poll();
                    if (n != 0) {
                        violations.add("poll() inside an action ran " + n);
                    }
                    nestedRefused(queue::awaitAll, "awaitAll()");
                    nestedRefused(queue::close, "close()");
                }, mine);
                case RETIRE_IN_SECTION -> {
                    if (mine.section == null) {
                        enter(mine);
                        try {
                            retire(newItem(false), this::ran, mine);
                        } finally {
                            exit(mine);
                        }
                    }
                }
                case RETIRE_NULL_OBJECT -> expectThrows(NullPointerException.class,
                        () -> queue.retire(null, x -> { }), "retire(null, action)");
                case RETIRE_NULL_ACTION -> expectThrows(NullPointerException.class,
                        () -> queue.retire(new Object(), null), "retire(obj, null)");
                case ENTER -> {
                    if (mine.section == null) {
                        enter(mine);
                    }
                }
                case EXIT -> {
                    if (mine.section != null) {
                        exit(mine);
                    }
                }
                case STALL -> stall();
                case UNSTALL -> unstall();
                case POLL -> {
                    joinReleasers(); // a reader let go "soon" is withdrawn from open before it exits
                    if (!threaded && !cfg.background() && cfg.mode() == Smr.Mode.DEFAULT && open.isEmpty()) {
                        // Liveness: no reader inside, a default-mode goal is reached at once, so
                        // a flush and a poll run everything retired (again for the children that
                        // actions retired meanwhile).
                        long n;
                        int rounds = 0;
                        do {
                            queue.flush();
                            final long before = runOrder.size();
                            n = queue.poll();
                            expect(n == runOrder.size() - before, "poll() returned " + n + " for "
                                    + (runOrder.size() - before) + " run", null);
                        } while (n > 0 && ++rounds < 8);
                        final SmrRetireQueue.Stats st = queue.stats();
                        expect(st.pending() == 0, "flush + poll with no reader inside left " + st, null);
                    } else {
                        expect(queue.poll() >= 0, "poll() negative", null);
                    }
                }
                case FLUSH -> {
                    if (mine.section != null) {
                        expectThrows(IllegalStateException.class, queue::flush, "flush() inside a section");
                    } else {
                        queue.flush();
                    }
                }
                case AWAIT_ALL -> {
                    if (mine.section != null) {
                        expectThrows(IllegalStateException.class, queue::awaitAll, "awaitAll() inside a section");
                    } else {
                        unstallSoon(); // it waits for the stalled reader: let it go 2 ms from now
                        final List<Item> before = List.copyOf(mine.retired);
                        final long ranBefore = runOrder.size();
                        final long n = queue.awaitAll();
                        expect(n >= 0, "awaitAll() negative", null);
                        if (!threaded && !cfg.background()) {
                            expect(n == runOrder.size() - ranBefore, "awaitAll() returned " + n + " for "
                                    + (runOrder.size() - ranBefore) + " run", null);
                        }
                        for (final Item it : before) {
                            expect(it.runs.get() == 1, it + " retired before awaitAll() has not run: " + it.runs, null);
                        }
                    }
                }
                case ADVANCE_POLL -> {
                    if (mine.section == null) {
                        smr.poll(smr.advance());
                    }
                }
                case STATS -> {
                    final SmrRetireQueue.Stats s = queue.stats();
                    expect(s.pending() >= 0 && s.batchesPending() >= 0 && s.ran() >= 0 && s.failed() >= 0,
                            "stats in range: " + s, null);
                }
                case CLOSE -> {
                    if (mine.section != null) {
                        expectThrows(IllegalStateException.class, queue::close, "close() inside a section");
                    } else {
                        unstallSoon();
                        closing = true;
                        queue.close();
                        closed = true;
                        for (final Item it : items) {
                            expect(!it.accepted || it.runs.get() == 1, it + " accepted, not run by close(): "
                                    + it.runs, null);
                        }
                    }
                }
                case BAD_BUILDER -> {
                    switch (op.arg() % 5) {
                        case 0 -> expectThrows(IllegalArgumentException.class,
                                () -> SmrRetireQueue.builder("bad", smr).batchSize(-(op.arg() % 7)), "batchSize(<1)");
                        case 1 -> expectThrows(IllegalArgumentException.class,
                                () -> SmrRetireQueue.builder("bad", smr).batchSize((1 << 16) + 1 + op.arg()),
                                "batchSize(> 2^16)");
                        case 2 -> expectThrows(NullPointerException.class,
                                () -> SmrRetireQueue.builder("bad", smr).backgroundPeriod(null), "backgroundPeriod(null)");
                        case 3 -> expectThrows(IllegalArgumentException.class,
                                () -> SmrRetireQueue.builder("bad", smr).backgroundPeriod(Duration.ofNanos(op.arg() % 99_999)),
                                "backgroundPeriod(< 100 us)");
                        default -> expectThrows(NullPointerException.class,
                                () -> SmrRetireQueue.builder(op.arg() % 2 == 0 ? null : "bad", op.arg() % 2 == 0 ? smr : null),
                                "builder(null ...)");
                    }
                }
            }
        }

        private void nestedRefused(final Runnable r, final String what) {
            try {
                r.run();
                violations.add(what + " inside an action returned");
            } catch (final IllegalStateException expected) {
                // documented: it would wait for the action that calls it
            } catch (final Throwable t) {
                violations.add(what + " inside an action threw " + t);
            }
        }

        /** Starts a reader on a thread of its own that stays inside until UNSTALL (one at a time). */
        synchronized void stall() {
            if (stalled == null) {
                stalled = new SmrPoolTesting.StalledReader(smr, "rq-fuzz-stalled");
                stalledId = sectionIds.getAndIncrement();
                open.add(stalledId); // after its enter returned
            }
        }

        /**
         * Lets the stalled reader go from another thread 2 ms from now, so that an awaitAll or
         * close called meanwhile has to wait for it (an action it runs before the reader
         * exits is a violation).
         */
        void unstallSoon() {
            final Thread t = Thread.ofVirtual().start(() -> {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                unstall();
            });
            releasers.add(t);
        }

        void joinReleasers() {
            for (Thread t; (t = releasers.poll()) != null; ) {
                try {
                    t.join(10_000);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        synchronized void unstall() {
            if (stalled != null) {
                open.remove(stalledId); // before it exits
                stalled.close();
                stalled = null;
                stalledId = null;
            }
        }

        void enter(final Mine mine) {
            smr.enter();
            final long id = sectionIds.getAndIncrement();
            open.add(id); // after enter returned
            mine.section = id;
        }

        void exit(final Mine mine) {
            open.remove(mine.section); // before exit is called
            mine.section = null;
            smr.exit();
        }

        /** After every step (one thread) or once the threads joined. */
        void check(final boolean quiescent) {
            joinReleasers(); // so that open and the domain agree on the stalled reader
            expect(violations.isEmpty(), "violations: " + violations, null);
            final SmrRetireQueue.Stats s = queue.stats();
            // Under the lock: pending, batchesPending (and batches is counted under it). The
            // adders are read one after the other, so while another thread runs actions a
            // snapshot may show failed > ran or ran > retired: exact only when quiescent.
            expect(s.pending() >= 0 && s.batchesPending() >= 0 && s.batchesPending() <= s.batches(),
                    "stats in range: " + s, null);
            if (quiescent && !cfg.background()) {
                expect(s.ran() <= s.retired() && s.failed() <= s.ran(), "stats in range: " + s, null);
                long accepted = 0;
                long run = 0;
                long failed = 0;
                for (final Item it : items) {
                    accepted += it.accepted ? 1 : 0;
                    run += it.runs.get();
                    failed += it.throwing && it.runs.get() > 0 ? 1 : 0;
                }
                expect(s.retired() == accepted, "stats: retired " + s.retired() + " != accepted " + accepted, null);
                expect(s.ran() == run, "stats: ran " + s.ran() + " != items run " + run, null);
                expect(s.failed() == failed, "stats: failed " + s.failed() + " != throwing items run " + failed, null);
                expect(s.pending() == s.retired() - s.ran(), "stats: pending " + s, null);
                expect(s.pending() > 0 || s.batchesPending() == 0, "stats: batches pending with nothing pending " + s,
                        null);
            }
            // DomainValidation refuses a live thread inside a section, and reads wrSeq and the lazy
            // barrier one after the other: only between sections, and not while the background
            // thread polls (a lazy poll moves both between the two reads).
            if (open.isEmpty() && (!cfg.background() || closed)) {
                DomainValidation.check(smr);
            }
        }

        /** Exits sections, closes, and checks that everything accepted ran exactly once. */
        void finish(final List<Mine> all) {
            for (final Mine mine : all) {
                expect(mine.section == null, "a section left open by a finished thread", null);
            }
            unstall();
            closing = true;
            queue.close();
            closed = true;
            expect(violations.isEmpty(), "violations: " + violations, null);
            for (final Item it : items) {
                if (it.accepted) {
                    expect(it.runs.get() == 1, it + " accepted, ran " + it.runs + " times by close()", null);
                } else {
                    expect(it.runs.get() == 0, it + " refused, ran " + it.runs, null);
                }
            }
            check(true);
            final SmrRetireQueue.Stats s = queue.stats();
            long accepted = 0;
            long failed = 0;
            for (final Item it : items) {
                accepted += it.accepted ? 1 : 0;
                failed += it.throwing && it.accepted ? 1 : 0;
            }
            expect(s.retired() == accepted && s.ran() == accepted && s.pending() == 0 && s.batchesPending() == 0
                    && s.failed() == failed, "stats after close: " + s + ", accepted " + accepted + ", failed "
                    + failed, null);
            expectThrows(IllegalStateException.class, () -> queue.retire(new Object(), x -> { }), "retire after close");
            queue.close(); // idempotent
        }

        /**
         * After every try, passed or failed (in the property's finally, not an AfterTry hook over
         * a shared list: jqwik may still run an abandoned shrinking try on another thread):
         * lets the stalled reader go and closes the queue.
         */
        void cleanup() {
            joinReleasers();
            unstall();
            try {
                queue.close();
            } catch (final IllegalStateException ignored) {
                // a failed try left this thread in a section; the domain is the try's own
            }
        }

        void checkOrder() {
            long last = -1;
            for (final long id : runOrder) {
                expect(id > last, "actions ran out of retire order: " + runOrder, null);
                last = id;
            }
        }
    }

    @SuppressWarnings("unchecked")
    static <E extends Throwable> RuntimeException sneaky(final Throwable t) throws E {
        throw (E) t;
    }

    static void expect(final boolean ok, final String what, final Throwable cause) {
        if (!ok) {
            throw new AssertionError(what, cause);
        }
    }

    /** The exception TYPE is the oracle (and that it has a message); the wording is not. */
    static void expectThrows(final Class<? extends Throwable> type, final Runnable r, final String what) {
        try {
            r.run();
        } catch (final Throwable t) {
            if (type.isInstance(t)) {
                expect(t.getMessage() != null && !t.getMessage().isBlank(), what + ": a message", t);
                return;
            }
            throw new AssertionError(what + ": expected " + type.getSimpleName() + ", got " + t, t);
        }
        throw new AssertionError(what + ": expected " + type.getSimpleName() + ", nothing thrown");
    }

    /** One thread, the checks after every step; actions also run in retire order. */
    @Property(tries = TRIES, afterFailure = AfterFailureMode.SAMPLE_FIRST)
    void oneThread(@ForAll("configs") final Config cfg, @ForAll("ops") final List<Op> ops) {
        final Harness h = new Harness(cfg, "rq-fuzz-" + cfg.mode(), false);
        final Harness.Mine mine = new Harness.Mine();
        try {
            try {
                for (final Op op : ops) {
                    h.apply(op, mine);
                    h.check(true);
                }
            } finally {
                if (mine.section != null) {
                    h.exit(mine);
                }
            }
            h.finish(List.of(mine));
            if (!cfg.background()) {
                h.checkOrder(); // a background thread runs actions (and retires children) beside the fuzz thread
            }
        } finally {
            h.cleanup();
        }
    }

    /**
     * Several threads at once (platform and virtual), each with its own sequence and its own
     * sections; one of them may close the queue midway (a try in four); the checks after they
     * joined, then close.
     */
    @Property(tries = THREADED_TRIES, afterFailure = AfterFailureMode.SAMPLE_FIRST)
    void severalThreads(@ForAll("configs") final Config cfg, @ForAll("threadOps") final List<List<Op>> perThread,
                        @ForAll("closeAt") final int closeAt) throws Exception {
        final Harness h = new Harness(cfg, "rq-fuzz-mt-" + cfg.mode(), true);
        try {
            final CyclicBarrier start = new CyclicBarrier(perThread.size());
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Harness.Mine> all = new ArrayList<>();
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < perThread.size(); t++) {
                final List<Op> ops = new ArrayList<>(perThread.get(t));
                if (t == 0 && closeAt < ops.size()) {
                    ops.add(closeAt, new Op(Kind.CLOSE, 0));
                }
                final Harness.Mine mine = new Harness.Mine();
                all.add(mine);
                final Thread.Builder b = t % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
                threads.add(b.name("rq-fuzz-" + t).start(() -> {
                    try {
                        start.await(10, TimeUnit.SECONDS);
                        for (final Op op : ops) {
                            h.apply(op, mine);
                        }
                    } catch (final Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        if (mine.section != null) {
                            h.exit(mine);
                        }
                    }
                }));
            }
            for (final Thread t : threads) {
                t.join(30_000);
                expect(!t.isAlive(), "thread " + t.getName() + " finished", null);
            }
            if (failure.get() != null) {
                throw new AssertionError("a fuzz thread failed", failure.get());
            }
            h.check(true);
            h.finish(all);
        } finally {
            h.cleanup();
        }
    }

    @Provide
    Arbitrary<Integer> closeAt() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(Integer.MAX_VALUE)),
                Tuple.of(1, Arbitraries.integers().between(0, MAX_OPS)));
    }
}
