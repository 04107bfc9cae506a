package org.smr4j;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Deferred actions on retired objects, run once no reader of an {@link Smr} domain can hold
 * them: {@code call_rcu(3)} on the batching of {@link SmrPool}.
 *
 * <p>{@link #retire(Object, Consumer) retire(obj, action)} appends the pair to the current
 * batch; a full batch is tagged with one {@link Smr#advance()} and queued, oldest first. The
 * callers drive the queue: every {@code retire} runs the batches at the head whose goal has
 * been reached (a non-blocking poll, checked without the lock first), as does
 * {@link #poll()}. {@link #flush()} tags a partial batch so that it can expire without more
 * retires; {@link #awaitAll()} ({@code rcu_barrier}) and {@link #close()} wait for everything
 * and run it. A background thread that polls periodically is started only if asked for with
 * {@link Builder#backgroundPeriod(Duration)}; without one, the queue costs nothing when idle and
 * holds no thread.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * SmrRetireQueue retired = SmrRetireQueue.builder("sessions", smr).batchSize(64).build();
 * Session old = table.remove(id);            // unlinked: no new reader can find it
 * retired.retire(old, Session::closeNative); // runs once no reader can hold it
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>An action runs exactly once (unless the queue is abandoned without {@code close}),
 *       after every read section of the domain that was entered before its {@code retire} has
 *       exited.</li>
 *   <li>Actions of one batch run in retire order, on one thread; batches run in queue order,
 *       one batch at a time (a single runner at a time: callers that find another thread
 *       running skip, they never wait for it).</li>
 *   <li>An action that throws anything (a runtime exception, an error, or a checked exception
 *       thrown sneakily) is counted in {@link Stats#failed()} and logged through
 *       {@link System.Logger}, once: the first failure of a queue at {@code WARNING} with its
 *       stack trace, the later ones at {@code DEBUG}. The rest of its batch still runs, and
 *       the statistics stay exact.</li>
 * </ul>
 *
 * <h2>Calls from inside an action</h2>
 * An action may call back into its queue on the thread that runs it, as {@code call_rcu}
 * callbacks that retire a child do. {@link #retire(Object, Consumer) retire} and
 * {@link #flush()} queue as usual, and {@link #poll()} returns 0: neither runs anything
 * nested, so no batch overtakes the one being run; the running loop takes the new batches in
 * queue order once the current batch is done. {@link #awaitAll()} and {@link #close()} from
 * inside an action throw {@link IllegalStateException} without changing anything: they would
 * wait for the action that calls them.
 *
 * <h2>Read sections</h2>
 * {@code retire} may be called inside a read section of the domain: it then never advances
 * (which would be an error) and lets the current batch grow past its size until a call outside
 * a section tags it. {@link #poll()} is allowed anywhere and runs expired actions even inside
 * a section (they concern objects no reader can hold). {@link #flush()}, {@link #awaitAll()}
 * and {@link #close()} throw {@link IllegalStateException} inside a section.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a thread before {@code retire(obj, action)} <i>happen-before</i> the action runs;
 * so do the exits of every read section that could have found {@code obj}.
 *
 * <h2>Progress</h2>
 * {@code retire} takes a short lock and, once per batch, advances the domain; it runs expired
 * actions when no other thread is running them. {@code poll} never blocks on readers.
 * {@code awaitAll} and {@code close} block; they are not interruptible (an interrupt is kept
 * for the caller, and does not make them spin).
 *
 * <h2>The background thread and interrupts</h2>
 * The thread belongs to the queue, and only {@link #close()} stops it. An interrupt (a
 * framework's shutdown sweep interrupts threads it does not own) is not a request it can
 * honour without breaking the queue's promise to poll: it clears the interrupt and goes on
 * sleeping its period. It is a daemon thread, so it never keeps the JVM alive.
 */
public final class SmrRetireQueue implements AutoCloseable {
    /*
     * Implementation. One lock guards the current batch and the FIFO of tagged batches; it
     * is held for an append or a dequeue and around the advance that tags a batch, so tags
     * along the FIFO are non-decreasing (as in SmrPool) and the head is the first to expire.
     * headTag mirrors the head's tag for the lock-free pre-check (SmrSeq.INVALID when empty).
     * A second lock, runLock, is taken with tryLock by whoever runs actions, so actions run
     * in FIFO order on one thread at a time and no caller waits for another's actions. It is
     * a ReentrantLock, so the runner's own nested calls (an action that retires or polls)
     * would take it again and run later batches in the middle of the current one: every
     * entry point checks isHeldByCurrentThread() first and runs nothing nested.
     * Invariant: every retired pair is in exactly one of: the current batch, a queued batch,
     * a batch held by the runner, or done. run() moves a whole batch to done (pendingActions,
     * ran) in a finally, and catches every Throwable of every action, so no pair is lost
     * whatever an action throws.
     */

    /** Default batch size: 64 retires per advance. */
    public static final int BATCH_SIZE_DEFAULT = 64;
    /** How long close() waits for the background thread to stop before it goes on without it. */
    private static final long BACKGROUND_JOIN_NANOS = TimeUnit.SECONDS.toNanos(10);

    private static final System.Logger LOG = System.getLogger("org.smr4j.retire");

    private final String name;
    private final Smr smr;
    private final int batchSize;
    private final ReentrantLock lock = new ReentrantLock();
    private final ReentrantLock runLock = new ReentrantLock();
    /** Guarded by lock. */
    private Batch current;
    /** Guarded by lock; tags non-decreasing. */
    private final ArrayDeque<Batch> queue = new ArrayDeque<>();
    /** Guarded by lock. */
    private long pendingActions;
    /**
     * Mirror of queue.peekFirst().tag, or SmrSeq.INVALID when the queue is empty. Written under
     * lock (release), read anywhere (acquire) as a hint. Accessed through {@link #HEAD_TAG}.
     */
    @SuppressWarnings("UnusedVariable") // read and written only through HEAD_TAG, which Error Prone does not follow
    private long headTag;
    /** Set once by close(), under lock. Accessed through {@link #CLOSED}. */
    @SuppressWarnings("UnusedVariable") // read and written only through CLOSED, which Error Prone does not follow
    private boolean closed;
    private final @Nullable Thread background;

    private final LongAdder retired = new LongAdder();
    private final LongAdder ran = new LongAdder();
    /** Actions that threw: counted and logged once each (Stats.failed). */
    private final HookFailures failures;
    private final LongAdder batches = new LongAdder();

    private SmrRetireQueue(final Builder b) {
        this.name = b.name;
        this.smr = b.smr;
        this.batchSize = b.batchSize;
        this.current = new Batch(batchSize);
        this.headTag = SmrSeq.INVALID;
        this.failures = new HookFailures("org.smr4j.retire", "retire queue '" + name + "'");
        if (b.period != null) {
            final long periodNanos = b.period.toNanos();
            this.background = Thread.ofPlatform().daemon().name("smr4j-retire-" + name)
                    .unstarted(() -> background(periodNanos));
            this.background.start();
        } else {
            this.background = null;
        }
    }

    /**
     * The background thread's loop: sleep a period, tag a lone partial batch, run what expired;
     * until close. An interrupt is cleared and otherwise ignored (see the class documentation):
     * left set, it would make every later park return at once and the loop spin.
     */
    private void background(final long periodNanos) {
        while (!closedAcquire()) {
            LockSupport.parkNanos(this, periodNanos);
            Thread.interrupted(); // not ours to honour; only close() stops this thread
            try {
                if (!closedAcquire()) {
                    flushIfIdle();
                    poll();
                }
            } catch (final Throwable e) { // actions cannot get here (run() catches them): ours
                LOG.log(System.Logger.Level.WARNING, "retire queue '" + name + "': background poll failed", e);
            }
        }
    }

    /**
     * Creates a queue with the default batch size and no background thread.
     *
     * @param name the queue's name, used in messages and statistics
     * @param smr the domain whose readers the actions wait for
     * @return a new queue
     * @throws NullPointerException if an argument is null ({@code "name"}, {@code "smr"})
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static SmrRetireQueue create(final String name, final Smr smr) {
        return builder(name, smr).build();
    }

    /**
     * Starts building a queue.
     *
     * @param name the queue's name, used in messages and statistics
     * @param smr the domain whose readers the actions wait for
     * @return a builder
     * @throws NullPointerException if an argument is null ({@code "name"}, {@code "smr"})
     * @throws IllegalArgumentException if {@code name} is empty
     */
    public static Builder builder(final String name, final Smr smr) {
        return new Builder(Smr.checkName(name), Objects.requireNonNull(smr, "smr"));
    }

    /**
     * Returns the queue's domain.
     *
     * @return the domain
     */
    public Smr smr() {
        return smr;
    }

    /**
     * Schedules {@code action.accept(obj)} for when no reader can hold {@code obj}. The caller
     * must have unlinked {@code obj} first. Runs expired actions (possibly this one's, if its
     * batch filled and expired at once) before returning, unless another thread is running
     * them.
     *
     * @param obj the retired object
     * @param action what to do with it
     * @param <T> the object's type
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the queue is closed
     */
    public <T> void retire(final T obj, final Consumer<? super T> action) {
        Objects.requireNonNull(obj, "obj");
        Objects.requireNonNull(action, "action");
        final boolean inSection = smr.entered();
        lock.lock();
        try {
            if (closedAcquire()) {
                throw new IllegalStateException("retire queue '" + name + "': retire() of an object of "
                        + obj.getClass().getName() + " after close() (thread " + Thread.currentThread() + ")");
            }
            current.add(obj, action);
            pendingActions++;
            retired.increment();
            if (current.count >= batchSize && !inSection) {
                tagCurrentLocked();
            }
        } finally {
            lock.unlock();
        }
        poll();
    }

    /** Under lock: tags the current batch (if not empty) and queues it. */
    private void tagCurrentLocked() {
        if (current.count == 0) {
            return;
        }
        final Batch b = current;
        // ORDER: the advance is a store-load fence; every retire of this batch (under the
        // lock we hold) is ordered before the goal. Under the lock: tags stay monotone.
        b.tag = smr.advance();
        if (queue.isEmpty()) {
            setHeadTagRelease(b.tag);
        }
        queue.addLast(b);
        batches.increment();
        current = new Batch(batchSize);
    }

    /**
     * Runs the actions of every batch at the head of the queue whose goal has been reached;
     * never blocks on readers. Returns 0 at once if another thread is running actions, or if
     * called from inside an action of this queue (the running loop takes the batches in
     * order once the current one is done).
     *
     * @return the number of actions run
     */
    public long poll() {
        if (runLock.isHeldByCurrentThread()) {
            return 0; // inside one of our actions: never run a later batch in the middle of this one
        }
        final long tag = headTagAcquire();
        if (tag == SmrSeq.INVALID || !(smr.poll(tag) || SmrPoolDepot.deferredNudge(smr, tag)) || !runLock.tryLock()) {
            return 0;
        }
        try {
            return runExpired(false);
        } finally {
            runLock.unlock();
        }
    }

    /** With runLock held: dequeues and runs batches while expired (or, with wait, all of them). */
    private long runExpired(final boolean wait) {
        long done = 0;
        while (true) {
            final Batch b;
            lock.lock();
            try {
                b = queue.peekFirst();
                if (b == null || (!wait && !(smr.poll(b.tag) || SmrPoolDepot.deferredNudge(smr, b.tag)))) {
                    break;
                }
                queue.pollFirst();
                final Batch next = queue.peekFirst();
                setHeadTagRelease(next == null ? SmrSeq.INVALID : next.tag);
            } finally {
                lock.unlock();
            }
            if (wait && !smr.poll(b.tag)) {
                final SmrPoolEvents.RetireWait event =
                        SmrPoolEvents.recording() ? new SmrPoolEvents.RetireWait() : null;
                if (event != null) {
                    event.begin();
                }
                smr.waitFor(b.tag);
                if (event != null) {
                    event.queue = name;
                    event.goal = b.tag;
                    event.commit();
                }
            }
            done += run(b);
        }
        return done;
    }

    /**
     * Runs a batch that left the queue: every action, whatever the others throw (Throwable:
     * checked exceptions thrown sneakily too), then moves the whole batch to done in a finally.
     */
    @SuppressWarnings("NullAway") // a batch's slots below its count hold objects and actions
    private long run(final Batch b) {
        try {
            for (int i = 0; i < b.count; i++) {
                @SuppressWarnings("unchecked")
                final Consumer<Object> action = (Consumer<Object>) b.actions[i];
                final Object obj = b.objects[i];
                b.objects[i] = null;
                b.actions[i] = null;
                try {
                    action.accept(obj);
                } catch (final Throwable e) {
                    failures.report(HookFailures.Hook.ACTION, obj, e, "the rest of its batch runs");
                }
            }
        } finally {
            lock.lock();
            try {
                pendingActions -= b.count;
            } finally {
                lock.unlock();
            }
            ran.add(b.count);
        }
        return b.count;
    }

    /**
     * Tags the current, partially filled batch so that it can expire without further retires.
     * Never blocks on readers.
     *
     * @throws IllegalStateException if called inside a read section of the domain
     */
    public void flush() {
        checkNotInSection("flush()");
        lock.lock();
        try {
            tagCurrentLocked();
        } finally {
            lock.unlock();
        }
    }

    private void flushIfIdle() {
        lock.lock();
        try {
            if (current.count > 0 && queue.isEmpty()) {
                tagCurrentLocked();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until every action retired before this call has run, running them
     * ({@code rcu_barrier}). Tags the current batch first. Not interruptible: an interrupt is
     * kept for the caller.
     *
     * @return the number of actions run by this call
     * @throws IllegalStateException if called inside a read section of the domain, or from
     *         inside an action of this queue (it would wait for itself)
     */
    public long awaitAll() {
        checkNotInSection("awaitAll()");
        checkNotInAction("awaitAll()");
        flush();
        runLock.lock();
        try {
            return runExpired(true);
        } finally {
            runLock.unlock();
        }
    }

    /**
     * Closes the queue: later retires throw {@link IllegalStateException}; tags the current
     * batch, waits for every goal and runs every action, and stops the background thread if
     * there is one (waiting up to 10 s for it). Idempotent. Not interruptible: an interrupt is
     * kept for the caller.
     *
     * @throws IllegalStateException if called inside a read section of the domain, or from
     *         inside an action of this queue (it would wait for itself)
     */
    @Override
    public void close() {
        checkNotInSection("close()");
        checkNotInAction("close()");
        lock.lock();
        try {
            if (closedAcquire()) {
                return;
            }
            setClosedRelease();
            tagCurrentLocked();
        } finally {
            lock.unlock();
        }
        final boolean interrupted = background != null && joinBackground();
        try {
            runLock.lock();
            try {
                runExpired(true);
            } finally {
                runLock.unlock();
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Wakes the background thread and waits (bounded) for it to see {@code closed} and stop.
     * An interrupt does not cut the wait short (that would leave the thread running after
     * close returned): returns whether one arrived, for the caller to restore it.
     */
    @SuppressWarnings("NullAway") // called only when background != null
    private boolean joinBackground() {
        LockSupport.unpark(background);
        boolean interrupted = false;
        final long deadline = System.nanoTime() + BACKGROUND_JOIN_NANOS;
        while (background.isAlive()) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                break; // an action of its last poll runs long; runLock below waits for it
            }
            try {
                background.join(Duration.ofNanos(left));
            } catch (final InterruptedException e) {
                interrupted = true; // the flag is clear now: the next join waits
            }
        }
        return interrupted;
    }

    private void checkNotInSection(final String what) {
        if (smr.entered()) {
            throw new IllegalStateException("retire queue '" + name + "': " + what + " inside a read section of domain '"
                    + smr.name() + "' (thread " + Thread.currentThread() + ")");
        }
    }

    private void checkNotInAction(final String what) {
        if (runLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("retire queue '" + name + "': " + what
                    + " from inside one of its actions (it would wait for the action that calls it; thread "
                    + Thread.currentThread() + ")");
        }
    }

    /**
     * Returns a snapshot of the queue's counters.
     *
     * @return the counters now
     */
    public Stats stats() {
        final long pending;
        final int queued;
        lock.lock();
        try {
            pending = pendingActions;
            queued = queue.size();
        } finally {
            lock.unlock();
        }
        return new Stats(name, retired.sum(), ran.sum(), failures.count(), pending, queued, batches.sum());
    }

    @Override
    public String toString() {
        return "SmrRetireQueue[" + name + ", smr=" + smr.name() + (closedAcquire() ? ", closed" : "") + "]";
    }

    private long headTagAcquire() {
        // ORDER: acquire; pairs with setHeadTagRelease. A hint: poll() re-checks under lock.
        return (long) HEAD_TAG.getAcquire(this);
    }

    private void setHeadTagRelease(final long tag) {
        // ORDER: release, under lock; pairs with headTagAcquire.
        HEAD_TAG.setRelease(this, tag);
    }

    private boolean closedAcquire() {
        // ORDER: acquire; pairs with setClosedRelease (the background thread and toString
        // read it without the lock).
        return (boolean) CLOSED.getAcquire(this);
    }

    private void setClosedRelease() {
        // ORDER: release; the background thread stops after seeing it.
        CLOSED.setRelease(this, true);
    }

    /** Objects and actions, parallel arrays that grow when retires inside sections overfill them. */
    private static final class Batch {
        @Nullable Object[] objects;
        @Nullable Object[] actions;
        int count;
        long tag;

        Batch(final int size) {
            objects = new Object[size];
            actions = new Object[size];
        }

        void add(final Object obj, final Object action) {
            if (count == objects.length) {
                objects = java.util.Arrays.copyOf(objects, count * 2);
                actions = java.util.Arrays.copyOf(actions, count * 2);
            }
            objects[count] = obj;
            actions[count] = action;
            count++;
        }
    }

    /** Configures a retire queue. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private final Smr smr;
        private int batchSize = BATCH_SIZE_DEFAULT;
        private @Nullable Duration period;

        private Builder(final String name, final Smr smr) {
            this.name = name;
            this.smr = smr;
        }

        /**
         * Sets the number of retires per tagged batch (one domain advance each).
         *
         * @param n from 1 to 2<sup>16</sup>
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder batchSize(final int n) {
            if (n < 1 || n > 1 << 16) {
                throw new IllegalArgumentException("retire queue '" + name + "': batch size " + n + " out of range [1, "
                        + (1 << 16) + "]");
            }
            this.batchSize = n;
            return this;
        }

        /**
         * Starts a daemon platform thread named {@code smr4j-retire-<name>} that, every
         * {@code period}, tags a partial batch when nothing else is queued and runs expired
         * actions. Off by default: callers drive the queue.
         *
         * @param period from 100 microseconds to 1 hour
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder backgroundPeriod(final Duration period) {
            // Compared as Durations: toNanos() overflows (ArithmeticException) beyond ~292 years.
            Objects.requireNonNull(period, "period");
            if (period.compareTo(Duration.ofNanos(100_000)) < 0 || period.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("retire queue '" + name + "': period " + period
                        + " out of range [PT0.0001S, PT1H]");
            }
            this.period = period;
            return this;
        }

        /**
         * Builds the queue (and starts its background thread, if configured).
         *
         * @return a new queue
         */
        public SmrRetireQueue build() {
            return new SmrRetireQueue(this);
        }
    }

    /**
     * A snapshot of a retire queue's counters.
     *
     * @param name    the queue's name
     * @param retired actions retired so far
     * @param ran     actions run so far
     * @param failed  actions that threw (each counted once, whatever it threw)
     * @param pending actions retired and not yet run
     * @param batchesPending tagged batches waiting for their goal
     * @param batches tagged batches so far
     */
    public record Stats(String name, long retired, long ran, long failed, long pending, int batchesPending,
                        long batches) {
    }

    // VarHandle mechanics
    private static final java.lang.invoke.VarHandle HEAD_TAG;
    private static final java.lang.invoke.VarHandle CLOSED;

    static {
        try {
            final java.lang.invoke.MethodHandles.Lookup lookup = java.lang.invoke.MethodHandles.lookup();
            HEAD_TAG = lookup.findVarHandle(SmrRetireQueue.class, "headTag", long.class);
            CLOSED = lookup.findVarHandle(SmrRetireQueue.class, "closed", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
