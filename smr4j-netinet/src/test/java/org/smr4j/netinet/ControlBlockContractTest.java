package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The bad-input contract of {@link ControlBlock} (issue 8 point 1), table-driven, in every
 * strategy: {@link ControlBlock#attach attach} refused on a block that is not write-locked
 * (unlocked, read-locked) or freed, and {@link ControlBlock#unlock unlock} refused on a block
 * that is not locked, each with an {@link IllegalStateException} naming the table, the state
 * and the thread. Afterwards the block is as it was (lock state, attachment, freed, key), the
 * table is sound and still works. The queries ({@code key}, {@code isFreed},
 * {@code generation}, {@code attachment}, the lock states, {@code toString}) have no
 * precondition and are checked to work in every one of these states.
 */
class ControlBlockContractTest {

    static final ConnectionKey PRESENT = ConnectionTableContractTest.PRESENT;

    /** A refused block call: the block in a state, the call, and the state its message names. */
    record Case(String name, Function<ConnectionTable, ControlBlock> setup, Consumer<ControlBlock> call,
            String state, boolean unlockAfter) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> cases() {
        final List<Case> c = new ArrayList<>();
        c.add(new Case("attach on an unlocked block", ControlBlockContractTest::unlocked, b -> b.attach("x"),
                "attach(value): the block is not locked; it must be write-locked by the caller", false));
        c.add(new Case("attach on a read-locked block", t -> t.lookup(PRESENT, LockMode.READ), b -> b.attach("x"),
                "attach(value): the block is read-locked; it must be write-locked by the caller", true));
        c.add(new Case("attach on a freed block", ControlBlockContractTest::freed, b -> b.attach("x"),
                "attach(value): the block is freed (its connection was removed)", false));
        c.add(new Case("unlock of an unlocked block", ControlBlockContractTest::unlocked, ControlBlock::unlock,
                "unlock(): the block is not locked", false));
        c.add(new Case("unlock of a freed block", ControlBlockContractTest::freed, ControlBlock::unlock,
                "unlock(): the block is not locked", false));
        return c;
    }

    static ControlBlock unlocked(final ConnectionTable t) {
        final ControlBlock b = t.lookup(PRESENT, LockMode.READ);
        b.unlock();
        return b;
    }

    static ControlBlock freed(final ConnectionTable t) {
        final ControlBlock b = t.insert(ConnectionTableContractTest.key(7));
        b.attach("gone");
        t.remove(b);
        return b;
    }

    static Stream<Arguments> strategiesAndCases() {
        return Stream.of(Strategy.values()).flatMap(s -> cases().stream().map(c -> Arguments.of(s, c)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("strategiesAndCases")
    void refusedNamingTheTableTheStateAndTheThread(final Strategy strategy, final Case c) {
        try (ConnectionTable t = ConnectionTable.builder(strategy).name("blocks-" + strategy).build()) {
            final ControlBlock p = t.insert(PRESENT);
            p.attach("attached");
            p.unlock();
            final ControlBlock b = c.setup().apply(t);
            final Object attachment = b.attachment();
            final boolean write = b.isWriteLocked();
            final boolean read = b.isReadLocked();
            final boolean freed = b.isFreed();
            final ConnectionKey key = b.key();
            final Throwable thrown = catchThrowable(() -> c.call().accept(b));
            assertThat(thrown).as(c.name()).isInstanceOf(IllegalStateException.class);
            assertThat(thrown.getMessage()).as(c.name()).contains("connection table 'blocks-" + strategy + "' (" + strategy + ")")
                    .contains(c.state()).contains("(thread " + Thread.currentThread() + ")");
            assertThat(b.attachment()).isEqualTo(attachment);
            assertThat(b.isWriteLocked()).isEqualTo(write);
            assertThat(b.isReadLocked()).isEqualTo(read);
            assertThat(b.isFreed()).isEqualTo(freed);
            assertThat(b.key()).isEqualTo(key);
            assertThat(b.generation()).isPositive();
            assertThat(b.toString()).contains(key.toString());
            if (c.unlockAfter()) {
                b.unlock();
            }
            TableProbe.validate(t);
            ConnectionTableContractTest.stillWorks(t);
            assertThat(t.<Object>read(PRESENT, ControlBlock::attachment)).isEqualTo("attached");
        }
    }

    /**
     * Issue 8 point 3: the SMR strategies' pool keeps a state word in each block, so a second
     * put of a removed block (a reference-count bug in the table, say) is refused in O(1) even
     * though the pool is unchecked, and the block is not handed out twice.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(value = Strategy.class, names = {"SMR_DEFAULT", "SMR_LAZY"})
    void aSecondPutOfAFreedBlockIsRefusedByThePool(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.builder(strategy).name("double-put-" + strategy).build()) {
            final org.smr4j.SmrPool<ControlBlock> pool = ((SmrConnectionTable) t).pool();
            t.insert(PRESENT).unlock();
            final ControlBlock b = freed(t); // removed: its last reference went, so it is in the pool
            final org.smr4j.SmrPool.Stats before = pool.stats();
            assertThat(catchThrowable(() -> pool.put(b))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("pool 'double-put-" + strategy + "'").hasMessageContaining("double put");
            assertThat(pool.stats().puts()).as("the refused put changed nothing").isEqualTo(before.puts());
            TableProbe.validate(t);
            ConnectionTableContractTest.stillWorks(t);
        }
    }
}
