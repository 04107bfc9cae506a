package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 8 point 1 for the public types of the core, table-driven: one table per type (Smr,
 * Smr.Reader, SmrPointer, SmrPool and its Builder, SmrRetireQueue, Pserialize and its Reader,
 * PserializePool and its Builder). Each row builds a fresh fixture, calls one entry point with a
 * null, out-of-range or wrong-state argument, and names the exception type and the words its
 * message must contain: the parameter (an NPE's message starts with it), the value and the
 * range (IAE), or the structure and the state (ISE, which must also name the calling thread).
 * After the refused call the row checks the fixture's invariants and that it still works
 * (and, where the row says what must not change, that it did not). {@link SmrSeq} has no row:
 * it is pure arithmetic on longs, and every long is a valid argument.
 *
 * <p>Negative control: {@link #theTableCanFail()} runs the checker on a call that does not
 * throw and on one whose message lacks a word, and expects both to fail.
 */
@Timeout(60)
class BadInputContractTest {

    /** A fixture: the structure under test, its invariant check and a working call. */
    interface Fixture extends AutoCloseable {
        void invariants();

        void stillWorks();

        @Override
        void close();
    }

    /** One refused call: the fixture, the call, the exception, words its message must contain. */
    @SuppressWarnings("ArrayRecordComponent") // a table row, never compared or hashed
    record Row<F extends Fixture>(String what, Supplier<F> fixture, Consumer<F> call,
            Class<? extends Throwable> type, String... words) {
        @Override
        public String toString() {
            return what;
        }
    }

    /** Runs a row: the refusal, its message, the invariants, a working call. */
    static <F extends Fixture> void check(final Row<F> r) {
        try (F f = r.fixture().get()) {
            final Throwable t = catchThrowable(() -> r.call().accept(f));
            assertThat(t).as(r.what()).isInstanceOf(r.type());
            final String m = t.getMessage();
            assertThat(m).as(r.what()).isNotNull();
            for (final String w : r.words()) {
                assertThat(m).as(r.what()).contains(w);
            }
            if (r.type() == NullPointerException.class) {
                assertThat(m).as("%s: an NPE's message starts with the parameter's name", r.what())
                        .startsWith(r.words()[0]);
            }
            if (r.type() == IllegalStateException.class) {
                assertThat(m).as("%s: an ISE names the calling thread", r.what()).contains("thread ");
            }
            f.invariants();
            f.stillWorks();
            f.invariants();
        }
    }

    static <F extends Fixture> Row<F> npe(final String what, final Supplier<F> f, final Consumer<F> call,
            final String parameter) {
        return new Row<>(what, f, call, NullPointerException.class, parameter);
    }

    static <F extends Fixture> Row<F> iae(final String what, final Supplier<F> f, final Consumer<F> call,
            final String... words) {
        return new Row<>(what, f, call, IllegalArgumentException.class, words);
    }

    static <F extends Fixture> Row<F> ise(final String what, final Supplier<F> f, final Consumer<F> call,
            final String... words) {
        return new Row<>(what, f, call, IllegalStateException.class, words);
    }

    /** Runs {@code body} inside a read section of {@code smr}. */
    static void inSection(final Smr smr, final Runnable body) {
        smr.enter();
        try {
            body.run();
        } finally {
            smr.exit();
        }
    }

    static void inSection(final Pserialize p, final Runnable body) {
        p.enter();
        try {
            body.run();
        } finally {
            p.exit();
        }
    }

    /** Runs {@code body} on another thread and rethrows what it threw there. */
    static void onAnotherThread(final String name, final Runnable body) {
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread t = Thread.ofPlatform().name(name).start(() -> {
            try {
                body.run();
            } catch (final Throwable e) {
                thrown.set(e);
            }
        });
        try {
            t.join();
        } catch (final InterruptedException e) {
            throw new AssertionError(e);
        }
        if (thrown.get() instanceof RuntimeException e) {
            throw e;
        }
        assertThat(thrown.get()).as("the call on another thread threw nothing or an error").isNull();
    }

    /** Runs {@code body} on a virtual thread (the pools' striped path) and rethrows what it threw. */
    static void onAVirtualThread(final Runnable body) {
        onAThread(Thread.ofVirtual().name("virtual-putter"), body);
    }

    /** Runs {@code body} on a new platform thread (an owned cache of its own) and rethrows what it threw. */
    static void onAPlatformThread(final Runnable body) {
        onAThread(Thread.ofPlatform().name("platform-putter"), body);
    }

    private static void onAThread(final Thread.Builder builder, final Runnable body) {
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread t = builder.start(() -> {
            try {
                body.run();
            } catch (final Throwable e) {
                thrown.set(e);
            }
        });
        try {
            t.join();
        } catch (final InterruptedException e) {
            throw new AssertionError(e);
        }
        if (thrown.get() instanceof RuntimeException e) {
            throw e;
        }
        assertThat(thrown.get()).isNull();
    }

    // ------------------------------------------------------------------ Smr, Smr.Reader

    static final class SmrFixture implements Fixture {
        final Smr smr;
        final Smr.Reader reader;

        SmrFixture(final Smr smr) {
            this.smr = smr;
            this.reader = smr.reader();
        }

        static SmrFixture of() {
            return new SmrFixture(Smr.create("bad-smr"));
        }

        static SmrFixture deferred() {
            return new SmrFixture(Smr.builder("bad-smr").deferred(4).build());
        }

        @Override
        public void invariants() {
            assertThat(smr.entered()).as("no section left open").isFalse();
            assertThat(reader.entered()).isFalse();
            DomainValidation.check(smr);
        }

        @Override
        public void stillWorks() {
            reader.enter();
            reader.exit();
            final long goal = smr.advance();
            smr.waitFor(goal);
            assertThat(smr.poll(goal)).isTrue();
            smr.synchronize();
        }

        @Override
        public void close() {
        }
    }

    static List<Row<SmrFixture>> smrRows() {
        final Supplier<SmrFixture> f = SmrFixture::of;
        final List<Row<SmrFixture>> r = new ArrayList<>();
        r.add(npe("create(null)", f, x -> Smr.create(null), "name"));
        r.add(iae("create(\"\")", f, x -> Smr.create(""), "name must not be empty", "\"\""));
        r.add(npe("builder(null)", f, x -> Smr.builder(null), "name"));
        r.add(iae("builder(\"\")", f, x -> Smr.builder(""), "name must not be empty"));
        r.add(npe("lazy(null)", f, x -> Smr.builder("b").lazy(null), "tick"));
        r.add(iae("lazy(1 ns)", f, x -> Smr.builder("b").lazy(Duration.ofNanos(1)), "lazy tick PT0.000000001S",
                "[10us, 1s]"));
        r.add(iae("lazy(MAX seconds)", f, x -> Smr.builder("b").lazy(Duration.ofSeconds(Long.MAX_VALUE)),
                "lazy tick", "[10us, 1s]"));
        r.add(iae("deferred(0)", f, x -> Smr.builder("b").deferred(0), "deferred limit 0", "[1, 2147483647]"));
        r.add(ise("lazy and deferred", f, x -> Smr.builder("both").lazy().deferred(2).build(), "'both'",
                "lazy and deferred(2) exclude each other"));
        r.add(ise("exit() without enter()", f, x -> x.smr.exit(), "smr domain 'bad-smr'", "exit() without enter()"));
        r.add(ise("advance() in a section", f, x -> inSection(x.smr, x.smr::advance), "smr domain 'bad-smr'",
                "advance() inside a read section"));
        r.add(ise("synchronize() in a section", f, x -> inSection(x.smr, x.smr::synchronize),
                "smr domain 'bad-smr'", "synchronize() inside a read section"));
        r.add(ise("waitFor() in a section", f, x -> {
            final long goal = x.smr.advance();
            inSection(x.smr, () -> x.smr.waitFor(goal));
        }, "smr domain 'bad-smr'", "waitFor(", "inside a read section"));
        for (final String op : new String[] {"poll", "waitFor"}) {
            final boolean poll = op.equals("poll");
            r.add(iae(op + "(0)", f, x -> goal(x.smr, poll, 0), "goal 0 is SmrSeq.INVALID"));
            r.add(iae(op + "(2)", f, x -> goal(x.smr, poll, 2), "goal 2 is not a sequence of this domain",
                    "1 + k * 2"));
            r.add(iae(op + "(-7)", f, x -> goal(x.smr, poll, -7), "goal -7 is before this domain's first sequence 1",
                    "[1, write sequence + 0]"));
            r.add(iae(op + "(MIN_VALUE + 1)", f, x -> goal(x.smr, poll, Long.MIN_VALUE + 1),
                    "goal -9223372036854775807"));
            r.add(iae(op + "(next goal)", f, x -> goal(x.smr, poll, x.smr.current() + SmrSeq.INCR),
                    "is ahead of write sequence"));
            r.add(iae(op + "(two goals ahead, deferred)", SmrFixture::deferred,
                    x -> goal(x.smr, poll, x.smr.current() + 2 * SmrSeq.INCR), "is ahead of write sequence"));
        }
        return r;
    }

    static void goal(final Smr smr, final boolean poll, final long goal) {
        if (poll) {
            smr.poll(goal);
        } else {
            smr.waitFor(goal);
        }
    }

    static List<Row<SmrFixture>> readerRows() {
        final Supplier<SmrFixture> f = SmrFixture::of;
        final List<Row<SmrFixture>> r = new ArrayList<>();
        r.add(ise("Reader.exit() without enter()", f, x -> x.reader.exit(), "smr domain 'bad-smr'",
                "exit() without enter()"));
        r.add(ise("Reader.enter() on another thread", f,
                x -> onAnotherThread("intruder", x.reader::enter), "smr domain 'bad-smr'", "Reader.enter()",
                "intruder"));
        r.add(ise("Reader.exit() on another thread", f,
                x -> onAnotherThread("intruder", x.reader::exit), "Reader.exit()", "intruder"));
        r.add(ise("Reader.entered() on another thread", f,
                x -> onAnotherThread("intruder", x.reader::entered), "Reader.entered()", "intruder"));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("smrRows")
    void smr(final Row<SmrFixture> row) {
        check(row);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("readerRows")
    void smrReader(final Row<SmrFixture> row) {
        check(row);
    }

    @Test
    void theGoalWindowsBoundsAreAccepted() {
        final Smr smr = Smr.create("window");
        assertThat(smr.poll(SmrSeq.INIT)).as("the first sequence is a reached goal").isTrue();
        final long goal = smr.advance();
        assertThat(smr.poll(goal)).isTrue();
        final Smr deferred = Smr.builder("window-deferred").deferred(4).build();
        assertThat(deferred.poll(deferred.current() + SmrSeq.INCR)).as("one step ahead: a deferred goal").isFalse();
    }

    @Test
    void pastTheWrapEveryOlderSequenceOfTheWindowIsAGoal() {
        final Smr smr = Smr.builder("wrap").wrapTest().build();
        long last = 0;
        for (int i = 0; i < 1100; i++) { // past the signed wrap of the wrap test's sequence
            last = smr.advance();
            smr.waitFor(last);
        }
        final long goal = last;
        assertThat(goal).as("the sequence wrapped").isNegative();
        assertThat(smr.poll(goal)).isTrue();
        assertThat(smr.poll(goal - 1000L * (1L << 50))).as("a goal from before the wrap").isTrue();
        assertThat(catchThrowable(() -> smr.poll(goal + 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a sequence of this domain");
    }

    // ------------------------------------------------------------------ SmrPointer

    static final class PointerFixture implements Fixture {
        final Smr smr = Smr.builder("bad-pointer").checked(true).build();
        final AtomicBoolean serialized = new AtomicBoolean();
        final SmrPointer<String> p = new SmrPointer<>(smr, serialized::get, "first");

        @Override
        public void invariants() {
            assertThat(p.unserializedLoad()).as("a refused call changed nothing").isEqualTo("first");
            assertThat(smr.entered()).isFalse();
        }

        @Override
        public void stillWorks() {
            serialized.set(true);
            p.serializedStore("second");
            assertThat(p.serializedSwap("first")).isEqualTo("second");
            serialized.set(false);
            inSection(smr, () -> assertThat(p.enteredLoad()).isEqualTo("first"));
        }

        @Override
        public void close() {
        }
    }

    static List<Row<PointerFixture>> pointerRows() {
        final Supplier<PointerFixture> f = PointerFixture::new;
        final List<Row<PointerFixture>> r = new ArrayList<>();
        r.add(npe("new SmrPointer(null)", f, x -> new SmrPointer<String>(null), "smr"));
        r.add(npe("new SmrPointer(null, serialized, v)", f, x -> new SmrPointer<>(null, () -> true, "v"), "smr"));
        r.add(npe("new SmrPointer(smr, null, v)", f, x -> new SmrPointer<>(x.smr, null, "v"), "serialized"));
        r.add(ise("enteredLoad() outside a section", f, x -> x.p.enteredLoad(), "smr domain 'bad-pointer'",
                "SmrPointer.enteredLoad() outside a read section"));
        r.add(ise("serializedLoad() not serialized", f, x -> x.p.serializedLoad(), "smr domain 'bad-pointer'",
                "SmrPointer.serializedLoad() while not serialized"));
        r.add(ise("serializedStore() not serialized", f, x -> x.p.serializedStore("x"),
                "SmrPointer.serializedStore() while not serialized"));
        r.add(ise("serializedSwap() not serialized", f, x -> x.p.serializedSwap("x"),
                "SmrPointer.serializedSwap() while not serialized"));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pointerRows")
    void smrPointer(final Row<PointerFixture> row) {
        check(row);
    }

    // ------------------------------------------------------------------ SmrPool and its Builder

    /** A pooled object with a state word for {@link SmrPool.Builder#stateWord}. */
    static final class Node {
        int poolState;
        static final VarHandle POOL_STATE;
        static final SmrPool.StateWord<Node> STATE = new SmrPool.StateWord<>() {
            @Override
            public int compareAndExchange(final Node n, final int expected, final int next) {
                return (int) POOL_STATE.compareAndExchange(n, expected, next);
            }

            @Override
            public void setRelease(final Node n, final int value) {
                POOL_STATE.setRelease(n, value);
            }
        };

        static {
            try {
                POOL_STATE = MethodHandles.lookup().findVarHandle(Node.class, "poolState", int.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    static final class PoolFixture implements Fixture {
        final SmrPool<Node> pool;
        final SmrPool<Node> other;
        final Smr smr;
        /** An object handed out before the row's call, given back by stillWorks. */
        final Node out;

        PoolFixture(final boolean checked, final boolean stateWord) {
            this(builder("bad-pool", checked, stateWord), builder("other-pool", checked, stateWord));
        }

        PoolFixture(final SmrPool.Builder<Node> mine, final SmrPool.Builder<Node> theirs) {
            pool = mine.build();
            other = theirs.build();
            smr = pool.smr();
            out = pool.get();
        }

        static SmrPool.Builder<Node> builder(final String name, final boolean checked, final boolean stateWord) {
            final SmrPool.Builder<Node> b = SmrPool.builder(name, Node::new).hardLimit(64).magazineSize(4)
                    .checked(checked).jmx(false);
            return stateWord ? b.stateWord(Node.STATE) : b;
        }

        /** A configuration of double-put detection: held set, state word, checked, both, or none. */
        enum Detection {
            HELD_SET(false, false), STATE_WORD(false, true), CHECKED(true, false), CHECKED_STATE_WORD(true, true),
            TRUSTED(false, false);

            final boolean checked;
            final boolean stateWord;

            Detection(final boolean checked, final boolean stateWord) {
                this.checked = checked;
                this.stateWord = stateWord;
            }

            SmrPool.Builder<Node> builder(final String name, final boolean owned) {
                final SmrPool.Builder<Node> b = PoolFixture.builder(name, checked, stateWord);
                if (!owned) {
                    b.ownedCaches(0);
                }
                return this == TRUSTED ? b.doublePutCheck(false) : b;
            }
        }

        /** Puts a and b, handed out by the pool: the first two steps of put(a); put(b); put(a). */
        Node[] putTwo() {
            final Node a = pool.get();
            final Node b = pool.get();
            pool.put(a);
            pool.put(b);
            return new Node[] {a, b};
        }

        /** A put object (in the pool's FREE magazine), for the double-put rows. */
        Node putOne() {
            final Node n = pool.get();
            pool.put(n);
            return n;
        }

        @Override
        public void invariants() {
            if (!pool.isClosed()) {
                pool.checkInvariants();
            }
            final SmrPool.Stats s = pool.stats();
            assertThat(s.live()).as("live never negative").isNotNegative();
            assertThat(s.live()).isEqualTo(s.created() - s.finalised());
            assertThat(smr.entered()).isFalse();
        }

        @Override
        public void stillWorks() {
            if (pool.isClosed()) {
                assertThat(catchThrowable(pool::get)).isInstanceOf(IllegalStateException.class);
                pool.close(); // a no-op
                return;
            }
            final List<Node> got = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                final Node n = pool.get();
                assertThat(got).as("no object handed out twice").doesNotContain(n).doesNotContain(out);
                got.add(n);
            }
            got.forEach(pool::put);
            pool.put(out);
            pool.flush();
            pool.checkInvariants();
        }

        @Override
        public void close() {
            pool.close();
            other.close();
        }
    }

    static List<Row<PoolFixture>> poolRows() {
        final List<Row<PoolFixture>> r = new ArrayList<>();
        for (final boolean checked : new boolean[] {false, true}) {
            final String mode = checked ? "checked: " : "unchecked: ";
            final Supplier<PoolFixture> f = () -> new PoolFixture(checked, false);
            r.add(npe(mode + "put(null)", f, x -> x.pool.put(null), "obj"));
            r.add(iae(mode + "prime(-1)", f, x -> x.pool.prime(-1), "pool 'bad-pool': prime n must be in [0, 64]",
                    "was -1"));
            r.add(iae(mode + "prime(hard limit + 1)", f, x -> x.pool.prime(65), "prime n must be in [0, 64]",
                    "hard limit 64", "was 65"));
            r.add(iae(mode + "prime(MAX_VALUE)", f, x -> x.pool.prime(Integer.MAX_VALUE), "prime n must be in [0, 64]",
                    "was 2147483647"));
            r.add(ise(mode + "prime() in a section", f, x -> inSection(x.smr, () -> x.pool.prime(1)),
                    "pool 'bad-pool': prime() inside a read section of domain 'bad-pool'"));
            r.add(ise(mode + "flush() in a section", f, x -> inSection(x.smr, x.pool::flush),
                    "pool 'bad-pool': flush() inside a read section"));
            r.add(ise(mode + "drain() in a section", f, x -> inSection(x.smr, x.pool::drain),
                    "pool 'bad-pool': drain() inside a read section"));
            r.add(ise(mode + "close() in a section", f, x -> inSection(x.smr, x.pool::close),
                    "pool 'bad-pool': close() inside a read section"));
            r.add(ise(mode + "put() in a section, magazine full", f, x -> {
                final List<Node> four = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    four.add(x.pool.get());
                }
                final Node fifth = x.pool.get();
                four.forEach(x.pool::put); // FREE is full: the next put would advance
                try {
                    inSection(x.smr, () -> x.pool.put(fifth));
                } finally {
                    x.pool.put(fifth); // outside: accepted, so the refused put changed nothing
                }
            }, "pool 'bad-pool': put() of an object of " + Node.class.getName() + " inside a read section"));
            final Supplier<PoolFixture> closed = () -> {
                final PoolFixture x = new PoolFixture(checked, false);
                x.pool.put(x.out);
                x.pool.close();
                return x;
            };
            r.add(ise(mode + "get() after close()", closed, x -> x.pool.get(), "pool 'bad-pool': get() after close()"));
            r.add(ise(mode + "tryGet() after close()", closed, x -> x.pool.tryGet(),
                    "pool 'bad-pool': get() after close()"));
            r.add(ise(mode + "put() after close()", closed, x -> x.pool.put(new Node()),
                    "pool 'bad-pool': put() of an object of " + Node.class.getName() + " after close()"));
            r.add(ise(mode + "prime() after close()", closed, x -> x.pool.prime(1),
                    "pool 'bad-pool': prime() after close()"));
        }
        final Supplier<PoolFixture> plain = () -> new PoolFixture(false, false);
        r.add(ise("unchecked: put of the object last put", plain, x -> x.pool.put(x.putOne()), "pool 'bad-pool'",
                "double put of an object of " + Node.class.getName(), "the pool already holds it"));
        final Supplier<PoolFixture> trusted = () -> new PoolFixture(
                PoolFixture.Detection.TRUSTED.builder("bad-pool", true), PoolFixture.builder("other-pool", false, false));
        r.add(ise("unchecked, doublePutCheck(false): put of the object last put", trusted,
                x -> x.pool.put(x.putOne()), "pool 'bad-pool'", "double put",
                "the last object put on this thread's cache"));
        // Point 3: put(a); put(b); put(a) in every detecting configuration, owned caches and
        // stripes, on the same thread and across threads, after a flush; and after a drain
        // where the detector can see it (the held set cannot: the drain finalised a).
        for (final PoolFixture.Detection d : PoolFixture.Detection.values()) {
            if (d == PoolFixture.Detection.TRUSTED) {
                continue; // the negative control, below (tests, not rows: it is not refused)
            }
            for (final boolean owned : new boolean[] {true, false}) {
                final String mode = d + (owned ? ", owned caches: " : ", stripes: ");
                final Supplier<PoolFixture> f = () -> new PoolFixture(d.builder("bad-pool", owned),
                        d.builder("other-pool", owned));
                final String cls = d.checked ? "double put() of an object of " : "double put of an object of ";
                r.add(ise(mode + "put(a); put(b); put(a)", f, x -> x.pool.put(x.putTwo()[0]), "pool 'bad-pool'",
                        cls + Node.class.getName()));
                r.add(ise(mode + "put(a); put(b); put(a) on a platform thread", f, x -> {
                    final Node a = x.putTwo()[0];
                    onAPlatformThread(() -> x.pool.put(a));
                }, "pool 'bad-pool'", cls + Node.class.getName(), "platform-putter"));
                r.add(ise(mode + "put(a); put(b) on a virtual thread; put(a)", f, x -> {
                    final Node[] ab = new Node[2];
                    onAVirtualThread(() -> {
                        final Node[] two = x.putTwo();
                        ab[0] = two[0];
                    });
                    x.pool.put(ab[0]);
                }, "pool 'bad-pool'", cls + Node.class.getName()));
                r.add(ise(mode + "put(a); put(b); flush(); put(a)", f, x -> {
                    final Node a = x.putTwo()[0];
                    x.pool.flush();
                    x.pool.put(a);
                }, "pool 'bad-pool'", Node.class.getName()));
                r.add(ise(mode + "put(a); put(b); flush(); expire; get() (b); put(a)", f, x -> {
                    final Node[] ab = x.putTwo();
                    x.pool.flush();
                    x.smr.synchronize();
                    assertThat(x.pool.get()).as("the refill hands out b, a goes to the ALLOC magazine")
                            .isSameAs(ab[1]);
                    x.pool.put(ab[0]);
                }, "pool 'bad-pool'", Node.class.getName()));
                if (d != PoolFixture.Detection.HELD_SET) {
                    r.add(ise(mode + "put(a); put(b); drain(); put(a)", f, x -> {
                        final Node a = x.putTwo()[0];
                        x.pool.drain();
                        x.pool.put(a);
                    }, "pool 'bad-pool'", Node.class.getName()));
                }
            }
        }
        r.add(ise("unchecked: put of the object last put, virtual thread", plain,
                x -> onAVirtualThread(() -> x.pool.put(x.putOne())), "pool 'bad-pool'", "double put"));
        final Supplier<PoolFixture> checked = () -> new PoolFixture(true, false);
        r.add(ise("checked: get() in a section", checked, x -> inSection(x.smr, x.pool::get),
                "pool 'bad-pool': get() inside a read section"));
        r.add(ise("checked: double put", checked, x -> x.pool.put(x.putOne()), "pool 'bad-pool'", "double put"));
        r.add(ise("checked: put of another pool's object", checked, x -> {
            final Node theirs = x.other.get();
            try {
                x.pool.put(theirs);
            } finally {
                x.other.put(theirs);
            }
        }, "pool 'bad-pool'", Node.class.getName()));
        for (final boolean isChecked : new boolean[] {false, true}) {
            final String mode = isChecked ? "checked, state word: " : "unchecked, state word: ";
            final Supplier<PoolFixture> sw = () -> new PoolFixture(isChecked, true);
            r.add(ise(mode + "double put", sw, x -> x.pool.put(x.putOne()), "pool 'bad-pool'", "double put"));
            r.add(ise(mode + "double put of a primed object", sw, x -> {
                x.pool.prime(1);
                x.pool.flush();
                final Node a = x.pool.get(); // the primed one
                x.pool.put(a);
                x.pool.put(a);
            }, "pool 'bad-pool'", "double put"));
            if (!isChecked) { // checked pools report the foreign object through their table first
                r.add(ise(mode + "put of another pool's cached object", sw, x -> {
                    final Node theirs = x.other.get();
                    x.other.put(theirs);
                    x.pool.put(theirs);
                }, "pool 'bad-pool'", "in another pool"));
            }
        }
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolRows")
    void smrPool(final Row<PoolFixture> row) {
        check(row);
    }

    /** Point 3: the reproduction, refused at the second put, in an unchecked pool. */
    @Test
    void anUncheckedPoolWithAStateWordNeverHandsAnObjectOutTwice() {
        try (SmrPool<Node> pool = PoolFixture.builder("double-put", false, true).build()) {
            final Node n = pool.get();
            pool.put(n);
            assertThat(catchThrowable(() -> pool.put(n))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("double put");
            pool.flush();
            pool.smr().synchronize();
            final Node a = pool.get();
            final Node b = pool.get();
            assertThat(a).isNotSameAs(b);
            pool.put(a);
            pool.put(b);
            pool.drain();
            final SmrPool.Stats s = pool.stats();
            assertThat(s.live()).isNotNegative().isEqualTo(s.created() - s.finalised());
            pool.checkInvariants();
        }
    }

    /**
     * Negative control of the detectors: with {@code doublePutCheck(false)} (no held set, no
     * state word) a double put with another put between is accepted and the object is handed
     * out twice (the defect the detectors prevent), and the statistics stay non-negative.
     */
    @Test
    void withoutADetectorADoublePutWithAPutBetweenCorruptsTheUncheckedPool() {
        try (SmrPool<Node> pool = PoolFixture.Detection.TRUSTED.builder("double-put-control", true).build()) {
            final Node n = pool.get();
            final Node m = pool.get();
            pool.put(n);
            pool.put(m);
            pool.put(n);
            pool.flush();
            pool.smr().synchronize();
            final List<Node> got = List.of(pool.get(), pool.get(), pool.get());
            assertThat(got.stream().filter(x -> x == n).count()).as("the control: n is handed out twice")
                    .isEqualTo(2);
            got.forEach(pool::put);
            pool.drain(); // n is finalised twice: live would be -1
            pool.smr().synchronize();
            pool.drain();
            final SmrPool.Stats s = pool.stats();
            assertThat(s.live()).as("live never negative, even after an undetected double put").isZero();
            assertThat(s.finalised()).as("the second finalisation of n is not counted").isEqualTo(s.created());
        }
    }

    /**
     * The held set's known gap, stated in the overview: a put of an object the pool already
     * finalised is accepted (the set keeps no record of objects it let go). Nothing is handed
     * out twice and the statistics never go negative all the same.
     */
    @Test
    void theHeldSetAcceptsAPutOfAFinalisedObjectButStaysConsistent() {
        try (SmrPool<Node> pool = PoolFixture.Detection.HELD_SET.builder("held-gap", true).build()) {
            final Node a = pool.get();
            pool.put(a);
            pool.drain();
            pool.smr().synchronize();
            pool.drain();
            assertThat(pool.stats().live()).isZero();
            pool.put(a); // finalised already: not refused
            assertThat(catchThrowable(() -> pool.put(a))).as("but a second put of it is")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("the pool already holds it");
            // No checkInvariants here: the pool caches an object its live count cannot include.
            pool.drain();
            pool.smr().synchronize();
            pool.drain();
            final SmrPool.Stats s = pool.stats();
            assertThat(s.live()).as("live never negative").isZero();
            assertThat(s.live()).isEqualTo(s.created() - s.finalised());
            assertThat(pool.heldSet().size()).as("the held set lets go of what the pool finalised").isZero();
        }
    }

    /** The held set gives back the table a burst needed, and holds nothing after close. */
    @Test
    void theHeldSetShrinksAfterABurstAndEmptiesAtClose() {
        final SmrPool<Node> pool = SmrPool.builder("held-burst", Node::new).jmx(false).build();
        final List<Node> burst = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            burst.add(pool.get());
        }
        burst.forEach(pool::put);
        final int peak = pool.heldSet().maxPeak();
        assertThat(pool.heldSet().size()).isEqualTo(100_000);
        pool.drain(); // ALLOC and READY finalised, FREE tagged and queued
        pool.smr().synchronize();
        pool.drain(); // the rest, expired now
        assertThat(pool.stats().live()).isZero();
        assertThat(pool.heldSet().size()).as("the set lets go of what the pool finalised").isZero();
        assertThat(pool.heldSet().maxPeak()).as("segments rebuilt smaller").isLessThan(peak / 4);
        pool.put(burst.get(0));
        pool.close();
        assertThat(pool.heldSet().size()).as("close finalised everything cached").isZero();
        burst.clear();
    }

    /** Random double puts from two threads over a held-set pool: never a duplicate hand-out. */
    @Test
    void racingDoublePutsOnTheHeldSetHaveOneWinner() throws Exception {
        try (SmrPool<Node> pool = PoolFixture.Detection.HELD_SET.builder("held-race", false).build()) {
            assertRacingDoublePutsHaveOneWinner(pool, Thread.ofVirtual());
        }
    }

    /** Racing double puts from two threads: exactly one wins, the other is refused. */
    @Test
    void racingDoublePutsHaveOneWinner() throws Exception {
        try (SmrPool<Node> pool = PoolFixture.builder("double-put-race", false, true).build()) {
            assertRacingDoublePutsHaveOneWinner(pool, Thread.ofPlatform());
        }
    }

    /**
     * 200 rounds of one object put by two threads at once (a platform thread and one made by
     * {@code second}): each round exactly one put is refused; then the pool's invariants hold.
     */
    private static void assertRacingDoublePutsHaveOneWinner(final SmrPool<Node> pool, final Thread.Builder second)
            throws InterruptedException {
        for (int round = 0; round < 200; round++) {
            final Node n = pool.get();
            final java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            final java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
            final Runnable put = () -> {
                try {
                    start.await();
                    pool.put(n);
                } catch (final IllegalStateException e) {
                    refused.incrementAndGet();
                } catch (final Exception e) {
                    throw new AssertionError(e);
                }
            };
            final Thread t1 = Thread.ofPlatform().name("putter-1").start(put);
            final Thread t2 = second.name("putter-2").start(put);
            t1.join();
            t2.join();
            assertThat(refused.get()).as("round %d", round).isEqualTo(1);
        }
        pool.flush();
        pool.checkInvariants();
    }

    static final class BuilderFixture implements Fixture {
        final SmrPool.Builder<Node> b = SmrPool.builder("bad-builder", Node::new).magazineSize(8).hardLimit(100)
                .lowat(2).jmx(false);

        @Override
        public void invariants() {
        }

        @Override
        public void stillWorks() {
            try (SmrPool<Node> pool = b.build()) {
                final SmrPool.Stats s = pool.stats();
                assertThat(s.created()).as("the builder's own lowat still primes").isEqualTo(2);
                pool.put(pool.get());
                pool.checkInvariants();
            }
        }

        @Override
        public void close() {
        }
    }

    static List<Row<BuilderFixture>> poolBuilderRows() {
        final Supplier<BuilderFixture> f = BuilderFixture::new;
        final List<Row<BuilderFixture>> r = new ArrayList<>();
        r.add(npe("builder(null, factory)", f, x -> SmrPool.builder(null, Node::new), "name"));
        r.add(iae("builder(\"\", factory)", f, x -> SmrPool.builder("", Node::new), "name must not be empty"));
        r.add(npe("builder(name, null)", f, x -> SmrPool.builder("x", null), "factory"));
        r.add(npe("smr(null)", f, x -> x.b.smr(null), "smr"));
        r.add(npe("init(null)", f, x -> x.b.init(null), "init"));
        r.add(npe("fini(null)", f, x -> x.b.fini(null), "fini"));
        r.add(npe("construct(null)", f, x -> x.b.construct(null), "construct"));
        r.add(npe("destruct(null)", f, x -> x.b.destruct(null), "destruct"));
        r.add(npe("poison(null)", f, x -> x.b.poison(null), "poison"));
        r.add(npe("limitPolicy(null)", f, x -> x.b.limitPolicy(null), "policy"));
        r.add(npe("trimInterval(null)", f, x -> x.b.trimInterval(null), "interval"));
        r.add(npe("stateWord(null)", f, x -> x.b.stateWord(null), "word"));
        r.add(iae("build(): doublePutCheck(false) with checked(true)", f,
                x -> SmrPool.builder("dpc", Node::new).checked(true).doublePutCheck(false).jmx(false).build(),
                "pool 'dpc': doublePutCheck(false) contradicts checked(true)"));
        r.add(iae("build(): doublePutCheck(false) with a state word", f,
                x -> SmrPool.builder("dpc", Node::new).stateWord(Node.STATE).doublePutCheck(false).jmx(false).build(),
                "pool 'dpc': doublePutCheck(false) contradicts stateWord(...)"));
        r.add(iae("magazineSize(0)", f, x -> x.b.magazineSize(0), "magazine size 0", "[1, 65536]"));
        r.add(iae("magazineSize(2^16 + 1)", f, x -> x.b.magazineSize((1 << 16) + 1), "magazine size 65537",
                "[1, 65536]"));
        r.add(iae("lowat(-1)", f, x -> x.b.lowat(-1), "lowat must be in [0, ", "was -1"));
        r.add(iae("lowat(MAX_VALUE)", f, x -> x.b.lowat(Long.MAX_VALUE), "lowat must be in [0, ",
                "was 9223372036854775807", "12 bytes an object"));
        r.add(iae("hiwat(-1)", f, x -> x.b.hiwat(-1), "hiwat must be in [0, 9223372036854775807], was -1"));
        r.add(iae("trimInterval(-1 s)", f, x -> x.b.trimInterval(Duration.ofSeconds(-1)),
                "trim interval must be zero or positive, was PT-1S"));
        r.add(iae("hardLimit(0)", f, x -> x.b.hardLimit(0), "hard limit must be in [1, 9223372036854775807], was 0"));
        r.add(iae("maxStripes(0)", f, x -> x.b.maxStripes(0), "maxStripes 0 out of range [1, 1048576]"));
        r.add(iae("maxStripes(2^20 + 1)", f, x -> x.b.maxStripes((1 << 20) + 1), "maxStripes 1048577",
                "[1, 1048576]"));
        r.add(iae("ownedCaches(-1)", f, x -> x.b.ownedCaches(-1), "ownedCaches -1 out of range [0, 65536]"));
        r.add(iae("ownedCaches(2^16 + 1)", f, x -> x.b.ownedCaches((1 << 16) + 1), "ownedCaches 65537"));
        r.add(iae("build(): lowat above the hard limit", f,
                x -> SmrPool.builder("marks", Node::new).hardLimit(3).lowat(5).jmx(false).build(),
                "pool 'marks': lowat must be in [0, hard limit 3], was 5"));
        r.add(iae("build(): hiwat below lowat", f,
                x -> SmrPool.builder("marks", Node::new).lowat(3).hiwat(2).jmx(false).build(),
                "pool 'marks': hiwat must be in [lowat 3, 9223372036854775807], was 2"));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("poolBuilderRows")
    void smrPoolBuilder(final Row<BuilderFixture> row) {
        check(row);
    }

    // ------------------------------------------------------------------ SmrRetireQueue

    static final class QueueFixture implements Fixture {
        final Smr smr = Smr.create("bad-queue-domain");
        final SmrRetireQueue q;
        final java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        boolean closed;

        QueueFixture() {
            q = SmrRetireQueue.builder("bad-queue", smr).batchSize(4).build();
        }

        @Override
        public void invariants() {
            final SmrRetireQueue.Stats s = q.stats();
            assertThat(s.pending()).isNotNegative();
            assertThat(s.retired()).isEqualTo(s.ran() + s.failed() + s.pending());
            assertThat(smr.entered()).isFalse();
        }

        @Override
        public void stillWorks() {
            if (closed) {
                assertThat(isClosed()).as("still refused").isTrue();
                return;
            }
            final int before = ran.get();
            q.retire(new Object(), o -> ran.incrementAndGet());
            q.awaitAll();
            assertThat(ran.get()).isEqualTo(before + 1);
        }

        boolean isClosed() {
            return catchThrowable(() -> q.retire("probe", o -> { })) instanceof IllegalStateException;
        }

        @Override
        public void close() {
            q.close();
        }
    }

    static List<Row<QueueFixture>> queueRows() {
        final Supplier<QueueFixture> f = QueueFixture::new;
        final List<Row<QueueFixture>> r = new ArrayList<>();
        r.add(npe("create(null, smr)", f, x -> SmrRetireQueue.create(null, x.smr), "name"));
        r.add(iae("create(\"\", smr)", f, x -> SmrRetireQueue.create("", x.smr), "name must not be empty"));
        r.add(npe("create(name, null)", f, x -> SmrRetireQueue.create("q", null), "smr"));
        r.add(npe("builder(null, smr)", f, x -> SmrRetireQueue.builder(null, x.smr), "name"));
        r.add(npe("builder(name, null)", f, x -> SmrRetireQueue.builder("q", null), "smr"));
        r.add(iae("batchSize(0)", f, x -> SmrRetireQueue.builder("q", x.smr).batchSize(0), "batch size 0",
                "[1, 65536]"));
        r.add(iae("batchSize(2^16 + 1)", f, x -> SmrRetireQueue.builder("q", x.smr).batchSize((1 << 16) + 1),
                "batch size 65537", "[1, 65536]"));
        r.add(npe("backgroundPeriod(null)", f, x -> SmrRetireQueue.builder("q", x.smr).backgroundPeriod(null),
                "period"));
        r.add(iae("backgroundPeriod(1 us)", f,
                x -> SmrRetireQueue.builder("q", x.smr).backgroundPeriod(Duration.ofNanos(1_000)), "period PT0.000001S",
                "[PT0.0001S, PT1H]"));
        r.add(iae("backgroundPeriod(MAX seconds)", f,
                x -> SmrRetireQueue.builder("q", x.smr).backgroundPeriod(Duration.ofSeconds(Long.MAX_VALUE)),
                "out of range [PT0.0001S, PT1H]"));
        r.add(npe("retire(null, action)", f, x -> x.q.retire(null, o -> { }), "obj"));
        r.add(npe("retire(obj, null)", f, x -> x.q.retire("o", null), "action"));
        r.add(ise("flush() in a section", f, x -> inSection(x.smr, x.q::flush),
                "retire queue 'bad-queue': flush() inside a read section"));
        r.add(ise("awaitAll() in a section", f, x -> inSection(x.smr, x.q::awaitAll),
                "retire queue 'bad-queue': awaitAll() inside a read section"));
        r.add(ise("close() in a section", f, x -> inSection(x.smr, x.q::close),
                "retire queue 'bad-queue': close() inside a read section"));
        r.add(ise("awaitAll() inside an action", f, x -> {
            final AtomicReference<RuntimeException> inner = new AtomicReference<>();
            x.q.retire("o", o -> {
                try {
                    x.q.awaitAll();
                } catch (final RuntimeException e) {
                    inner.set(e);
                }
            });
            x.q.awaitAll();
            throw inner.get();
        }, "retire queue 'bad-queue': awaitAll()"));
        r.add(ise("retire() after close()", () -> {
            final QueueFixture x = new QueueFixture();
            x.q.close();
            x.closed = true;
            return x;
        }, x -> x.q.retire("o", o -> { }), "retire queue 'bad-queue': retire() of an object of java.lang.String"
                + " after close()"));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("queueRows")
    void smrRetireQueue(final Row<QueueFixture> row) {
        check(row);
    }

    // ------------------------------------------------------------------ Pserialize

    static final class PserializeFixture implements Fixture {
        final Pserialize p = Pserialize.create("bad-pserialize");
        final Pserialize.Reader reader = p.reader();

        @Override
        public void invariants() {
            assertThat(p.entered()).isFalse();
            assertThat(reader.entered()).isFalse();
        }

        @Override
        public void stillWorks() {
            reader.enter();
            reader.exit();
            p.perform();
        }

        @Override
        public void close() {
        }
    }

    static List<Row<PserializeFixture>> pserializeRows() {
        final Supplier<PserializeFixture> f = PserializeFixture::new;
        final List<Row<PserializeFixture>> r = new ArrayList<>();
        r.add(npe("create(null)", f, x -> Pserialize.create(null), "name"));
        r.add(iae("create(\"\")", f, x -> Pserialize.create(""), "name must not be empty"));
        r.add(ise("exit() without enter()", f, x -> x.p.exit(), "'bad-pserialize'", "exit() without enter()"));
        r.add(ise("perform() in a section", f, x -> inSection(x.p, x.p::perform), "'bad-pserialize'",
                "perform() inside a read section"));
        r.add(ise("Reader.exit() without enter()", f, x -> x.reader.exit(), "'bad-pserialize'",
                "exit() without enter()"));
        r.add(ise("Reader.enter() on another thread", f, x -> onAnotherThread("intruder", x.reader::enter),
                "'bad-pserialize'", "intruder"));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pserializeRows")
    void pserialize(final Row<PserializeFixture> row) {
        check(row);
    }

    // ------------------------------------------------------------------ PserializePool

    static final class PPoolFixture implements Fixture {
        final PserializePool<Node> pool = PserializePool.builder("bad-ppool", Node::new).hardLimit(64).build();
        final Pserialize p = pool.pserialize();

        @Override
        public void invariants() {
            if (!pool.toString().contains("closed")) {
                pool.checkInvariants();
            }
            final PserializePool.Stats s = pool.stats();
            assertThat(s.created() - s.finalised()).isNotNegative();
            assertThat(p.entered()).isFalse();
        }

        /** Puts a and b, handed out by the pool: the first two steps of put(a); put(b); put(a). */
        Node[] putTwo() {
            final Node a = pool.get();
            final Node b = pool.get();
            pool.put(a);
            pool.put(b);
            return new Node[] {a, b};
        }

        @Override
        public void stillWorks() {
            if (catchThrowable(pool::tryGet) instanceof IllegalStateException) {
                return; // closed: every row's refusal stays
            }
            final Node a = pool.get();
            final Node b = pool.get();
            assertThat(a).isNotSameAs(b);
            pool.put(a);
            pool.put(b);
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    static List<Row<PPoolFixture>> pserializePoolRows() {
        final Supplier<PPoolFixture> f = PPoolFixture::new;
        final Supplier<PPoolFixture> closed = () -> {
            final PPoolFixture x = new PPoolFixture();
            x.pool.close();
            return x;
        };
        final List<Row<PPoolFixture>> r = new ArrayList<>();
        r.add(npe("builder(null, factory)", f, x -> PserializePool.builder(null, Node::new), "name"));
        r.add(iae("builder(\"\", factory)", f, x -> PserializePool.builder("", Node::new), "name must not be empty"));
        r.add(npe("builder(name, null)", f, x -> PserializePool.builder("x", null), "factory"));
        r.add(npe("pserialize(null)", f, x -> PserializePool.builder("x", Node::new).pserialize(null), "pserialize"));
        r.add(npe("init(null)", f, x -> PserializePool.builder("x", Node::new).init(null), "init"));
        r.add(npe("fini(null)", f, x -> PserializePool.builder("x", Node::new).fini(null), "fini"));
        r.add(npe("construct(null)", f, x -> PserializePool.builder("x", Node::new).construct(null), "construct"));
        r.add(npe("destruct(null)", f, x -> PserializePool.builder("x", Node::new).destruct(null), "destruct"));
        r.add(iae("magazineSize(0)", f, x -> PserializePool.builder("x", Node::new).magazineSize(0),
                "magazine size must be in [1, 2147483647], was 0"));
        r.add(iae("hiwat(-1)", f, x -> PserializePool.builder("x", Node::new).hiwat(-1),
                "hiwat must be in [0, 2147483647], was -1"));
        r.add(iae("hardLimit(0)", f, x -> PserializePool.builder("x", Node::new).hardLimit(0),
                "hard limit must be in [1, 2147483647], was 0"));
        r.add(iae("stripes(3)", f, x -> PserializePool.builder("x", Node::new).stripes(3),
                "stripes 3 is not a power of two in [1, 2^30]"));
        r.add(iae("stripes(0)", f, x -> PserializePool.builder("x", Node::new).stripes(0), "stripes 0"));
        r.add(npe("put(null)", f, x -> x.pool.put(null), "obj"));
        r.add(ise("reclaim() in a section", f, x -> inSection(x.p, x.pool::reclaim),
                "pool 'bad-ppool': reclaim() inside a read section"));
        r.add(ise("close() in a section", f, x -> inSection(x.p, x.pool::close),
                "pool 'bad-ppool': close() inside a read section"));
        r.add(ise("get() after close()", closed, x -> x.pool.get(), "pool 'bad-ppool' is closed"));
        r.add(ise("tryGet() after close()", closed, x -> x.pool.tryGet(), "pool 'bad-ppool' is closed"));
        r.add(ise("put() after close()", closed, x -> x.pool.put(new Node()), "pool 'bad-ppool' is closed"));
        r.add(ise("reclaim() after close()", closed, x -> x.pool.reclaim(), "pool 'bad-ppool' is closed"));
        // Point 3: the held set refuses put(a); put(b); put(a), on any thread, before destruct runs.
        final String dp = "pool 'bad-ppool': double put of an object of " + Node.class.getName();
        r.add(ise("put(a); put(b); put(a)", f, x -> x.pool.put(x.putTwo()[0]), dp, "the pool already holds it"));
        r.add(ise("put(a); put(b); put(a) on a platform thread", f, x -> {
            final Node a = x.putTwo()[0];
            onAPlatformThread(() -> x.pool.put(a));
        }, dp, "platform-putter"));
        r.add(ise("put(a); put(b) on a virtual thread; put(a)", f, x -> {
            final Node[] ab = new Node[1];
            onAVirtualThread(() -> ab[0] = x.putTwo()[0]);
            x.pool.put(ab[0]);
        }, dp));
        r.add(ise("put(a) of a magazine moved to the depot; put(a)", f, x -> {
            final List<Node> many = new ArrayList<>();
            for (int i = 0; i < 40; i++) { // more than a stripe's two magazines of 15: some go to the depot
                many.add(x.pool.get());
            }
            many.forEach(x.pool::put);
            x.pool.put(many.get(0));
        }, dp));
        return r;
    }

    /** PserializePool with doublePutCheck(false): the negative control of its held set. */
    @Test
    void aPserializePoolWithoutItsHeldSetHandsADoublePutObjectOutTwice() {
        try (PserializePool<Node> pool = PserializePool.builder("ppool-control", Node::new).doublePutCheck(false)
                .stripes(1).jmx(false).build()) {
            final Node a = pool.get();
            final Node b = pool.get();
            pool.put(a);
            pool.put(b);
            pool.put(a);
            final List<Node> got = List.of(pool.get(), pool.get(), pool.get());
            assertThat(got.stream().filter(x -> x == a).count()).as("the control: a is handed out twice")
                    .isEqualTo(2);
            got.forEach(pool::put);
            pool.reclaim(); // a is finalised twice: allocated would be -1
            final PserializePool.Stats s = pool.stats();
            assertThat(s.allocated()).as("allocated never negative").isZero();
            assertThat(s.allocated()).isEqualTo(s.created() - s.finalised());
            assertThat(pool.foreignFinalisations()).isEqualTo(1);
            pool.checkInvariants();
        }
    }

    /** The held set of PserializePool: a destruct failure and a construct failure keep it exact. */
    @Test
    void thePserializeHeldSetFollowsHookFailures() {
        final boolean[] fail = {false, false};
        try (PserializePool<Node> pool = PserializePool.builder("ppool-hooks", Node::new).jmx(false)
                .construct(n -> {
                    if (fail[0]) {
                        throw new IllegalStateException("construct");
                    }
                })
                .destruct(n -> {
                    if (fail[1]) {
                        throw new IllegalStateException("destruct");
                    }
                }).build()) {
            final Node a = pool.get();
            fail[1] = true;
            assertThat(catchThrowable(() -> pool.put(a))).hasMessage("destruct"); // cached anyway
            fail[1] = false;
            assertThat(catchThrowable(() -> pool.put(a))).hasMessageContaining("double put");
            pool.checkInvariants();
            fail[0] = true;
            assertThat(catchThrowable(pool::get)).hasMessage("construct"); // a goes back to the cache
            fail[0] = false;
            pool.checkInvariants();
            assertThat(catchThrowable(() -> pool.put(a))).hasMessageContaining("double put");
            final Node again = pool.get();
            assertThat(again).isSameAs(a);
            pool.put(again);
            pool.checkInvariants();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("pserializePoolRows")
    void pserializePool(final Row<PPoolFixture> row) {
        check(row);
    }

    // ------------------------------------------------------------------ negative control

    @Test
    void theTableCanFail() {
        final Supplier<SmrFixture> f = SmrFixture::of;
        assertThat(catchThrowable(() -> check(iae("a call that does not throw", f, x -> x.smr.current()))))
                .as("a row whose call does not throw fails").isInstanceOf(AssertionError.class);
        assertThat(catchThrowable(() -> check(iae("a message without the word", f, x -> x.smr.poll(0), "no such word"))))
                .as("a row whose message lacks a word fails").isInstanceOf(AssertionError.class);
        assertThat(catchThrowable(() -> check(ise("a section left open", f, x -> {
            x.smr.enter();
            x.smr.exit();
            x.smr.exit();
        }, "exit() without enter()")))).as("passes: the row is right").isNull();
        final AtomicReference<Smr> left = new AtomicReference<>();
        assertThat(catchThrowable(() -> check(ise("a broken invariant", f, x -> {
            left.set(x.smr);
            x.smr.enter();
            x.smr.advance();
        }, "advance()")))).as("the section left open fails the invariants").isInstanceOf(AssertionError.class);
        left.get().exit();
    }
}
