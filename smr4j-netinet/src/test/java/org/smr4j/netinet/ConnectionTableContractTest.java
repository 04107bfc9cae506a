package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The bad-input contract of {@link ConnectionTable} and its {@link ConnectionTable.Builder} (issue 8 point 1),
 * table-driven: every entry point is called with null, out-of-range and wrong-state
 * arguments, in every strategy; each case names the exception type and the words its message
 * must contain (the parameter; or the table, the state and the calling thread). After each
 * refused call the test checks that nothing changed (size, counters, the state of the block
 * argument), that the table is structurally sound ({@link TableProbe#validate}) and that it
 * still works (insert, lookup, read, remove of a fresh key).
 */
class ConnectionTableContractTest {

    static ConnectionKey key(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 8080, 0xC0000201, 1_000 + i);
    }

    static final ConnectionKey PRESENT = key(1);
    static final ConnectionKey ABSENT = key(2);

    /** What a case runs against: the table, another of the same strategy, and blocks in given states. */
    static class Fixture implements AutoCloseable {
        final Strategy strategy;
        final ConnectionTable t;
        final ConnectionTable other;
        private final List<ControlBlock> toUnlock = new ArrayList<>();

        Fixture(final Strategy strategy) {
            this.strategy = strategy;
            this.t = ConnectionTable.builder(strategy).name("contract-" + strategy).initialBuckets(8).build();
            this.other = ConnectionTable.builder(strategy).name("other-" + strategy).initialBuckets(8).build();
            t.insert(PRESENT).unlock();
            other.insert(PRESENT).unlock();
        }

        ControlBlock writeLocked() {
            return held(t.lookup(PRESENT, LockMode.WRITE));
        }

        ControlBlock readLocked() {
            return held(t.lookup(PRESENT, LockMode.READ));
        }

        ControlBlock unlocked() {
            final ControlBlock b = t.lookup(PRESENT, LockMode.READ);
            b.unlock();
            return b;
        }

        /** A block whose connection was removed (write-locked by no one). */
        ControlBlock freed() {
            final ControlBlock b = t.insert(key(3));
            t.remove(b);
            return b;
        }

        /** A block of the other table, write-locked by this thread. */
        ControlBlock othersWriteLocked() {
            return held(other.lookup(PRESENT, LockMode.WRITE));
        }

        private ControlBlock held(final ControlBlock b) {
            assertThat(b).isNotNull();
            toUnlock.add(b);
            return b;
        }

        @Override
        public void close() {
            for (final ControlBlock b : toUnlock) {
                b.unlock();
            }
            t.close();
            other.close();
        }
    }

    /** A refused call: how to set it up and make it, and what it must throw. */
    @SuppressWarnings("ArrayRecordComponent") // a table row, never compared or hashed
    record Case(String name, Function<Fixture, Call> setup, Class<? extends Throwable> type, String... words) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The refused call itself, after its setup; the block argument, if any, for the no-change check. */
    record Call(Runnable run, ControlBlock block) {
    }

    static Call call(final Runnable run) {
        return new Call(run, null);
    }

    static Case npe(final String name, final String parameter, final Function<Fixture, Call> setup) {
        return new Case(name, setup, NullPointerException.class, parameter);
    }

    /**
     * A wrong-state case: the message names the table and the state; the test adds its
     * strategy and the calling thread.
     */
    static Case ise(final String name, final String state, final Function<Fixture, Call> setup) {
        return new Case(name, setup, IllegalStateException.class, "connection table 'contract-", state);
    }

    static final Function<? super ControlBlock, Object> ATTACHMENT = ControlBlock::attachment;

    static List<Case> cases() {
        final List<Case> c = new ArrayList<>();
        c.add(npe("insert(null)", "key", f -> call(() -> f.t.insert(null))));
        c.add(npe("lookup(null, READ)", "key", f -> call(() -> f.t.lookup(null, LockMode.READ))));
        c.add(npe("lookup(key, null)", "mode", f -> call(() -> f.t.lookup(PRESENT, null))));
        c.add(npe("lookup(absent, null)", "mode", f -> call(() -> f.t.lookup(ABSENT, null))));
        c.add(npe("read(null, function)", "key", f -> call(() -> f.t.read(null, ATTACHMENT))));
        c.add(npe("read(key, null)", "function", f -> call(() -> f.t.read(PRESENT, null))));
        c.add(npe("lookupWildcard(null, READ)", "key", f -> call(() -> f.t.lookupWildcard(null, LockMode.READ))));
        c.add(npe("lookupWildcard(key, null)", "mode", f -> call(() -> f.t.lookupWildcard(PRESENT, null))));
        c.add(npe("remove((ConnectionKey) null)", "key", f -> call(() -> f.t.remove((ConnectionKey) null))));
        c.add(npe("remove((ControlBlock) null)", "block", f -> call(() -> f.t.remove((ControlBlock) null))));
        c.add(npe("rehash(null, newKey)", "block", f -> call(() -> f.t.rehash(null, ABSENT))));
        c.add(npe("rehash(block, null)", "newKey", f -> {
            final ControlBlock b = f.writeLocked();
            return new Call(() -> f.t.rehash(b, null), b);
        }));
        c.add(npe("forEach(null, action)", "mode", f -> call(() -> f.t.forEach(null, b -> { }))));
        c.add(npe("forEach(READ, null)", "action", f -> call(() -> f.t.forEach(LockMode.READ, null))));
        for (final String op : new String[] {"remove(block)", "rehash(block, newKey)"}) {
            final boolean remove = op.startsWith("remove");
            c.add(ise(op + " of an unlocked block", "is not locked; it must be write-locked by the caller", f -> {
                final ControlBlock b = f.unlocked();
                return new Call(() -> removeOrRehash(f.t, b, remove), b);
            }));
            c.add(ise(op + " of a read-locked block", "is read-locked; it must be write-locked by the caller", f -> {
                final ControlBlock b = f.readLocked();
                return new Call(() -> removeOrRehash(f.t, b, remove), b);
            }));
            c.add(ise(op + " of a freed block", "is freed (its connection was removed)", f -> {
                final ControlBlock b = f.freed();
                return new Call(() -> removeOrRehash(f.t, b, remove), b);
            }));
            c.add(ise(op + " of another table's block", "the block belongs to table 'other-", f -> {
                final ControlBlock b = f.othersWriteLocked();
                return new Call(() -> removeOrRehash(f.t, b, remove), b);
            }));
        }
        return c;
    }

    static void removeOrRehash(final ConnectionTable t, final ControlBlock b, final boolean remove) {
        if (remove) {
            t.remove(b);
        } else {
            t.rehash(b, ABSENT);
        }
    }

    static Stream<Arguments> strategiesAndCases() {
        return Stream.of(Strategy.values()).flatMap(s -> cases().stream().map(c -> Arguments.of(s, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("strategiesAndCases")
    void refusedWithItsOwnMessageAndNothingChanges(final Strategy strategy, final Case c) {
        try (Fixture f = new Fixture(strategy)) {
            final Call call = c.setup().apply(f);
            final State before = State.of(f.t, call.block());
            final Throwable thrown = catchThrowable(call.run()::run);
            assertThat(thrown).as(c.name()).isInstanceOf(c.type());
            for (final String w : c.words()) {
                assertThat(thrown.getMessage()).as(c.name()).contains(w);
            }
            if (c.type() == IllegalStateException.class) {
                assertThat(thrown.getMessage()).contains("(" + strategy + ")")
                        .contains("(thread " + Thread.currentThread());
            } else {
                assertThat(thrown.getMessage()).as("an NPE's message is the parameter's name").isEqualTo(c.words()[0]);
            }
            assertThat(State.of(f.t, call.block())).as("nothing changed by " + c.name()).isEqualTo(before);
            f.toUnlock.forEach(ControlBlock::unlock);
            f.toUnlock.clear();
            TableProbe.validate(f.t);
            stillWorks(f.t);
        }
    }

    /** What a refused call must leave as it was. */
    record State(long size, long inserts, long removes, long rehashes, long resizes, long created,
            boolean write, boolean read, boolean freed, ConnectionKey key, long generation) {
        static State of(final ConnectionTable t, final ControlBlock b) {
            final ConnectionTable.Stats s = t.stats();
            return new State(s.size(), s.inserts(), s.removes(), s.rehashes(), s.resizes(), s.blocksCreated(),
                    b != null && b.isWriteLocked(), b != null && b.isReadLocked(), b != null && b.isFreed(),
                    b == null ? null : b.key(), b == null ? 0 : b.generation());
        }
    }

    /** Insert, lookup, read, remove of a fresh key; {@link #PRESENT} still there. */
    static void stillWorks(final ConnectionTable t) {
        stillWorksWith(t, PRESENT);
    }

    /** Insert, lookup, read, remove of a fresh key; {@code present} still there. */
    static void stillWorksWith(final ConnectionTable t, final ConnectionKey present) {
        final ConnectionKey k = key(99);
        final ControlBlock b = t.insert(k);
        assertThat(b).isNotNull();
        b.attach("works");
        b.unlock();
        final ControlBlock found = t.lookup(k, LockMode.READ);
        assertThat(found).isSameAs(b);
        found.unlock();
        assertThat(t.<Object>read(k, ControlBlock::attachment)).isEqualTo("works");
        assertThat(t.remove(k)).isTrue();
        final ControlBlock p = t.lookup(present, LockMode.READ);
        assertThat(p).isNotNull();
        p.unlock();
        TableProbe.validate(t);
    }

    // ------------------------------------------------------------------ after close

    /** Every operation but close, stats, name and strategy, on a closed table. */
    static List<Case> closedCases() {
        final List<Case> c = new ArrayList<>();
        c.add(closed("insert(key)", f -> call(() -> f.t.insert(ABSENT))));
        c.add(closed("lookup(key, mode)", f -> call(() -> f.t.lookup(PRESENT, LockMode.READ))));
        c.add(closed("read(key, function)", f -> call(() -> f.t.read(PRESENT, ATTACHMENT))));
        c.add(closed("lookupWildcard(key, mode)", f -> call(() -> f.t.lookupWildcard(PRESENT, LockMode.READ))));
        c.add(closed("remove(key)", f -> call(() -> f.t.remove(PRESENT))));
        c.add(closed("remove(block)", f -> call(() -> f.t.remove(f.lastBlock))));
        c.add(closed("rehash(block, newKey)", f -> call(() -> f.t.rehash(f.lastBlock, ABSENT))));
        c.add(closed("forEach(mode, action)", f -> call(() -> f.t.forEach(LockMode.READ, b -> { }))));
        c.add(closed("size()", f -> call(f.t::size)));
        c.add(closed("longestChain()", f -> call(f.t::longestChain)));
        c.add(closed("reader()", f -> call(f.t::reader)));
        return c;
    }

    static Case closed(final String op, final Function<ClosedFixture, Call> setup) {
        return new Case(op, f -> setup.apply((ClosedFixture) f), IllegalStateException.class,
                "connection table 'contract-", "is closed: " + op + " refused");
    }

    /** A fixture whose table is closed, with the block of its one connection, kept from before the close. */
    static final class ClosedFixture extends Fixture {
        final ControlBlock lastBlock;

        ClosedFixture(final Strategy strategy) {
            super(strategy);
            lastBlock = writeLockedThenUnlocked();
            t.close();
        }

        private ControlBlock writeLockedThenUnlocked() {
            final ControlBlock b = t.lookup(PRESENT, LockMode.WRITE);
            b.unlock();
            return b;
        }
    }

    static Stream<Arguments> strategiesAndClosedCases() {
        return Stream.of(Strategy.values()).flatMap(s -> closedCases().stream().map(c -> Arguments.of(s, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("strategiesAndClosedCases")
    void afterCloseEveryOperationIsRefused(final Strategy strategy, final Case c) {
        try (ClosedFixture f = new ClosedFixture(strategy)) {
            final ConnectionTable.Stats before = f.t.stats();
            final Throwable thrown = catchThrowable(c.setup().apply(f).run()::run);
            assertThat(thrown).as(c.name()).isInstanceOf(IllegalStateException.class);
            for (final String w : c.words()) {
                assertThat(thrown.getMessage()).contains(w);
            }
            assertThat(thrown.getMessage()).contains("(" + strategy + ")").contains("(thread " + Thread.currentThread());
            assertThat(f.t.stats()).isEqualTo(before);
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void afterCloseStatsNameStrategyAndCloseWork(final Strategy strategy) {
        final ConnectionTable t = ConnectionTable.builder(strategy).name("closing-" + strategy).build();
        t.insert(PRESENT).unlock();
        t.insert(ABSENT).unlock();
        assertThat(t.remove(ABSENT)).isTrue();
        t.close();
        final ConnectionTable.Stats s = t.stats();
        assertThat(s.size()).as("close removed every connection").isZero();
        assertThat(s.inserts()).isEqualTo(2);
        assertThat(s.removes()).as("one remove and one by close").isEqualTo(2);
        assertThat(t.name()).isEqualTo("closing-" + strategy);
        assertThat(t.strategy()).isEqualTo(strategy);
        assertThat(t.toString()).contains("closing-" + strategy);
        t.close(); // a no-op
        assertThat(t.stats()).isEqualTo(s);
        // Null arguments are checked before the state.
        assertThat(catchThrowable(() -> t.insert(null))).isInstanceOf(NullPointerException.class).hasMessage("key");
    }

    // ------------------------------------------------------------------ the builder

    static List<Case> builderCases() {
        final List<Case> c = new ArrayList<>();
        c.add(new Case("builder(null)", f -> call(() -> ConnectionTable.builder(null)), NullPointerException.class,
                "strategy"));
        c.add(new Case("create(null)", f -> call(() -> ConnectionTable.create(null)), NullPointerException.class,
                "strategy"));
        c.add(new Case("name(null)", f -> call(() -> ((BuilderFixture) f).builder.name(null)),
                NullPointerException.class, "name"));
        c.add(iae("name(\"\")", "name must not be empty, was \"\"", f -> f.builder.name("")));
        c.add(iae("initialBuckets(0)", "initialBuckets must be in [1, 1073741824], was 0",
                f -> f.builder.initialBuckets(0)));
        c.add(iae("initialBuckets(-5)", "initialBuckets must be in [1, 1073741824], was -5",
                f -> f.builder.initialBuckets(-5)));
        c.add(iae("initialBuckets(2^30 + 1)", "initialBuckets must be in [1, 1073741824], was 1073741825",
                f -> f.builder.initialBuckets((1 << 30) + 1)));
        c.add(iae("maxChain(1)", "maxChain must be in [2, 2147483647], was 1", f -> f.builder.maxChain(1)));
        c.add(iae("maxChain(MIN_VALUE)", "maxChain must be in [2, 2147483647], was -2147483648",
                f -> f.builder.maxChain(Integer.MIN_VALUE)));
        c.add(iae("limits(0, 1)", "maxConnections must be in [1, 2147483646] with pendingLimit 1"
                + " (maxConnections + pendingLimit <= MAX_BLOCKS = 2147483647), was 0", f -> f.builder.limits(0, 1)));
        c.add(iae("limits(-1, 4096)", "maxConnections must be in [1, 2147479551] with pendingLimit 4096"
                + " (maxConnections + pendingLimit <= MAX_BLOCKS = 2147483647), was -1",
                f -> f.builder.limits(-1, 4096)));
        c.add(iae("limits(Long.MAX_VALUE - 10, 4096)", "maxConnections must be in [1, 2147479551] with pendingLimit"
                + " 4096 (maxConnections + pendingLimit <= MAX_BLOCKS = 2147483647), was 9223372036854775797",
                f -> f.builder.limits(Long.MAX_VALUE - 10, 4096)));
        c.add(iae("limits(MAX_BLOCKS, 1)", "maxConnections must be in [1, 2147483646] with pendingLimit 1"
                + " (maxConnections + pendingLimit <= MAX_BLOCKS = 2147483647), was 2147483647",
                f -> f.builder.limits(ConnectionTable.Builder.MAX_BLOCKS, 1)));
        c.add(iae("limits(1, 0)", "pendingLimit must be in [1, 2147483646], was 0", f -> f.builder.limits(1, 0)));
        c.add(iae("limits(1, MIN_VALUE)", "pendingLimit must be in [1, 2147483646], was -2147483648",
                f -> f.builder.limits(1, Integer.MIN_VALUE)));
        c.add(iae("limits(1, MAX_VALUE)", "pendingLimit must be in [1, 2147483646], was 2147483647",
                f -> f.builder.limits(1, Integer.MAX_VALUE)));
        return c;
    }

    static Case iae(final String name, final String message, final java.util.function.Consumer<BuilderFixture> call) {
        return new Case(name, f -> call(() -> call.accept((BuilderFixture) f)), IllegalArgumentException.class,
                message);
    }

    /** A builder with settings of its own, so that a refused setting can be seen not to change them. */
    static final class BuilderFixture extends Fixture {
        final ConnectionTable.Builder builder;

        BuilderFixture(final Strategy strategy) {
            super(strategy);
            builder = ConnectionTable.builder(strategy).name("built-" + strategy).initialBuckets(16).maxChain(4);
        }
    }

    static Stream<Arguments> strategiesAndBuilderCases() {
        return Stream.of(Strategy.values()).flatMap(s -> builderCases().stream().map(c -> Arguments.of(s, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("strategiesAndBuilderCases")
    void theBuilderRefusesBadSettingsAndKeepsItsOwn(final Strategy strategy, final Case c) {
        try (BuilderFixture f = new BuilderFixture(strategy)) {
            final Throwable thrown = catchThrowable(c.setup().apply(f).run()::run);
            assertThat(thrown).as(c.name()).isInstanceOf(c.type());
            assertThat(thrown.getMessage()).as(c.name()).isEqualTo(c.words()[0]);
            try (ConnectionTable t = f.builder.build()) {
                assertThat(t.name()).isEqualTo("built-" + strategy);
                assertThat(t.strategy()).isEqualTo(strategy);
                if (TableProbe.lockless(strategy)) {
                    assertThat(t.stats().buckets()).isEqualTo(16);
                }
                stillWorksEmpty(t);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void theBoundsThemselvesAreAccepted(final Strategy strategy) {
        for (final ConnectionTable.Builder b : new ConnectionTable.Builder[] {
            ConnectionTable.builder(strategy).limits(ConnectionTable.Builder.MAX_BLOCKS - 1, 1),
            ConnectionTable.builder(strategy).limits(1, (int) ConnectionTable.Builder.MAX_BLOCKS - 1),
            ConnectionTable.builder(strategy).limits(1, 1).initialBuckets(1).maxChain(2),
            ConnectionTable.builder(strategy).maxChain(Integer.MAX_VALUE).name("x")}) {
            try (ConnectionTable t = b.build()) {
                stillWorksEmpty(t);
            }
        }
    }

    @Test
    void maxBucketsIsTheDocumentedBound() {
        assertThat(ConnectionTable.Builder.MAX_BUCKETS).isEqualTo(LocklessConnectionTable.MAX_BUCKETS);
        assertThat(ConnectionTable.Builder.MAX_BLOCKS).isEqualTo(Integer.MAX_VALUE);
    }

    static void stillWorksEmpty(final ConnectionTable t) {
        t.insert(PRESENT).unlock();
        stillWorks(t);
    }
}
