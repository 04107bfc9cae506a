package org.smr4j;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

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
 *   <li>An action that throws is logged through {@link System.Logger} and counted in
 *       {@link Stats#failed()}; the rest still run.</li>
 * </ul>
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
 * {@code awaitAll} and {@code close} block.
 */
public final class SmrRetireQueue implements AutoCloseable {
    /*
     * Implementation. One lock guards the current batch and the FIFO of tagged batches; it
     * is held for an append or a dequeue and around the advance that tags a batch, so tags
     * along the FIFO are non-decreasing (as in SmrPool) and the head is the first to expire.
     * headTag mirrors the head's tag for the lock-free pre-check (SmrSeq.INVALID when empty).
     * A second lock, runLock, is taken with tryLock by whoever runs actions, so actions run
     * in FIFO order on one thread at a time and no caller waits for another's actions.
     * Invariant: every retired pair is in exactly one of: the current batch, a queued batch,
     * a batch held by the runner, or done.
     */

    /** Default batch size: 64 retires per advance. */
    public static final int BATCH_SIZE_DEFAULT = 64;

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
    private long headTag;
    /** Set once by close(), under lock. Accessed through {@link #CLOSED}. */
    private boolean closed;
    private final Thread background;

    private final LongAdder retired = new LongAdder();
    private final LongAdder ran = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder batches = new LongAdder();

    private SmrRetireQueue(final Builder b) {
        this.name = b.name;
        this.smr = b.smr;
        this.batchSize = b.batchSize;
        this.current = new Batch(batchSize);
        this.headTag = SmrSeq.INVALID;
        if (b.period != null) {
            final long periodNanos = b.period.toNanos();
            this.background = Thread.ofPlatform().daemon().name("smr4j-retire-" + name).unstarted(() -> {
                while (!closedAcquire()) {
                    LockSupport.parkNanos(this, periodNanos);
                    try {
                        if (!closedAcquire()) {
                            flushIfIdle();
                            poll();
                        }
                    } catch (final RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "retire queue '" + name + "': background poll failed", e);
                    }
                }
            });
            this.background.start();
        } else {
            this.background = null;
        }
    }

    /**
     * Creates a queue with the default batch size and no background thread.
     *
     * @param name the queue's name, used in messages and statistics
     * @param smr the domain whose readers the actions wait for
     * @return a new queue
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
     */
    public static Builder builder(final String name, final Smr smr) {
        return new Builder(Objects.requireNonNull(name, "name"), Objects.requireNonNull(smr, "smr"));
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
     * never blocks on readers. Returns 0 at once if another thread is running actions.
     *
     * @return the number of actions run
     */
    public long poll() {
        final long tag = headTagAcquire();
        if (tag == SmrSeq.INVALID || !(smr.poll(tag) || SmrPool.deferredNudge(smr, tag)) || !runLock.tryLock()) {
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
                if (b == null || (!wait && !(smr.poll(b.tag) || SmrPool.deferredNudge(smr, b.tag)))) {
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

    private long run(final Batch b) {
        for (int i = 0; i < b.count; i++) {
            @SuppressWarnings("unchecked")
            final Consumer<Object> action = (Consumer<Object>) b.actions[i];
            final Object obj = b.objects[i];
            b.objects[i] = null;
            b.actions[i] = null;
            try {
                action.accept(obj);
            } catch (final RuntimeException | Error e) {
                failed.increment();
                LOG.log(System.Logger.Level.WARNING, "retire queue '" + name + "': action for an object of "
                        + obj.getClass().getName() + " threw", e);
            }
        }
        lock.lock();
        try {
            pendingActions -= b.count;
        } finally {
            lock.unlock();
        }
        ran.add(b.count);
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
     * ({@code rcu_barrier}). Tags the current batch first.
     *
     * @return the number of actions run by this call
     * @throws IllegalStateException if called inside a read section of the domain
     */
    public long awaitAll() {
        checkNotInSection("awaitAll()");
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
     * there is one. Idempotent.
     *
     * @throws IllegalStateException if called inside a read section of the domain
     */
    @Override
    public void close() {
        checkNotInSection("close()");
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
        if (background != null) {
            LockSupport.unpark(background);
            try {
                background.join(TimeUnit.SECONDS.toMillis(10));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        runLock.lock();
        try {
            runExpired(true);
        } finally {
            runLock.unlock();
        }
    }

    private void checkNotInSection(final String what) {
        if (smr.entered()) {
            throw new IllegalStateException("retire queue '" + name + "': " + what + " inside a read section of domain '"
                    + smr.name() + "' (thread " + Thread.currentThread() + ")");
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
        return new Stats(name, retired.sum(), ran.sum(), failed.sum(), pending, queued, batches.sum());
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
        Object[] objects;
        Object[] actions;
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
        private Duration period;

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
                throw new IllegalArgumentException("retire queue '" + name + "': batch size " + n + " out of range");
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
            final long nanos = Objects.requireNonNull(period, "period").toNanos();
            if (nanos < 100_000 || nanos > TimeUnit.HOURS.toNanos(1)) {
                throw new IllegalArgumentException("retire queue '" + name + "': period " + period + " out of range");
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
     * @param failed  actions that threw
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
