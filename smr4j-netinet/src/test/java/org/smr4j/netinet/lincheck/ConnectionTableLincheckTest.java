package org.smr4j.netinet.lincheck;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;
import org.smr4j.testsupport.TestSupport;

/**
 * Linearizability of every strategy's insert, remove, lookup (read and write mode), lock-free
 * read, exact listener lookup, wildcard lookup and rehash, against {@link MapSpecification},
 * with Lincheck's model checker (every interleaving of a bounded number of context switches,
 * sequentially consistent memory) and its stress mode (real threads, the real memory model),
 * each on random scenarios of 2 threads x 3 operations between 2 setup and 1 closing
 * operation, over the four-connection domain of {@link TableOperations}.
 *
 * <p>The tables start small ({@code initialBuckets} 1 or 2), so that the scenarios also grow
 * them under readers and chains hold several blocks.
 *
 * <h2>What the model checker cannot run, and why</h2>
 * <ul>
 * <li>{@link Strategy#SMR_LAZY} with rehash or a second growth. Lincheck 3.7's model checker
 *     makes {@code System.nanoTime()} deterministic (every call returns the same value; its
 *     trace shows {@code System.nanoTime(): 1337}), and the lazy domain's write sequence is a
 *     clock ({@code wrSeq = INIT + INCR * (nanoTime - origin) / tick}). A goal one tick ahead
 *     is then never reached: {@code Smr.waitFor} (rehash's wait on the unlink goal, and the
 *     second growth's wait on the first growth's goal) parks in {@code Smr.waitSlow} for ever
 *     and the checker reports "All unfinished threads are in livelock". So the lazy model run
 *     has no rehash ({@link TableOperations}) and starts with 2 buckets, which four
 *     connections grow only once (growth waits only from the second growth on). Stress mode
 *     runs the lazy table with rehash and from 1 bucket.</li>
 * <li>{@link Strategy#PSERIALIZE} starts with 1 bucket like the others (it started with 2
 *     while growth skipped its barrier, the bug that
 *     {@link SecondGrowthLincheckTest#pserializeSecondGrowthUnderReader} found). Its
 *     {@code perform()} (rehash, second growth) runs under the model checker; the
 *     {@code membarrier(2)} downcall executes natively, outside the checker's view (which
 *     assumes sequential consistency anyway).</li>
 * </ul>
 *
 * <h2>Blind spots</h2>
 * The model checker assumes sequential consistency, so it cannot see a missing fence (the
 * jcstress tests in {@code smr4j-stress} and the churn test do); stress mode sees the real
 * memory model but only the interleavings the machine happens to produce. Scenarios are tiny;
 * {@code ConnectionTableChurnTest} covers volume.
 *
 * <p>{@link #controlNonAtomicRemoveIsCaught} shows that the harness can fail: a remove made of
 * a lookup and a later remove is reported.
 *
 * <p>Runtime: about {@value #ITERATIONS_DEFAULT} x {@value #INVOCATIONS_DEFAULT} model
 * invocations and {@value #ITERATIONS_DEFAULT} x {@value #STRESS_INVOCATIONS_DEFAULT} stress
 * invocations per strategy; {@code -Pslow} runs {@value #ITERATIONS_SLOW} x
 * {@value #INVOCATIONS_SLOW} and {@value #ITERATIONS_SLOW} x {@value #STRESS_INVOCATIONS_SLOW}.
 * {@code -Dsmr4j.lincheck.iterations} and {@code -Dsmr4j.lincheck.invocations} override the
 * model counts (stress uses four times the invocations).
 */
@Tag("lincheck") // run by the lincheck execution of surefire, two forks at once (see the pom)
class ConnectionTableLincheckTest {

    static final int ITERATIONS_DEFAULT = 3;
    static final int INVOCATIONS_DEFAULT = 100;
    static final int STRESS_INVOCATIONS_DEFAULT = 400;
    static final int ITERATIONS_SLOW = 20;
    static final int INVOCATIONS_SLOW = 200;
    static final int STRESS_INVOCATIONS_SLOW = 800;

    static final int ITERATIONS = (int) TestSupport.knob("smr4j.lincheck.iterations", ITERATIONS_DEFAULT,
            ITERATIONS_SLOW);
    static final int INVOCATIONS = (int) TestSupport.knob("smr4j.lincheck.invocations", INVOCATIONS_DEFAULT,
            INVOCATIONS_SLOW);

    /** SMR default mode, 1 bucket: grows twice, so the second growth waits for the first's goal. */
    public static final class SmrDefault extends TableOperationsWithRehash {
        public SmrDefault() {
            super(Strategy.SMR_DEFAULT, 1);
        }
    }

    /** SMR lazy mode for the model checker: no rehash, 2 buckets (see the class comment). */
    public static final class SmrLazy extends TableOperations {
        public SmrLazy() {
            super(Strategy.SMR_LAZY, 2);
        }
    }

    /** SMR lazy mode for stress: everything, 1 bucket. */
    public static final class SmrLazyWithRehash extends TableOperationsWithRehash {
        public SmrLazyWithRehash() {
            super(Strategy.SMR_LAZY, 1);
        }
    }

    /** Pserialize, 1 bucket (see the class comment). */
    public static final class Pserialize extends TableOperationsWithRehash {
        public Pserialize() {
            super(Strategy.PSERIALIZE, 1);
        }
    }

    /** The reader-writer lock table. */
    public static final class RwLock extends TableOperationsWithRehash {
        public RwLock() {
            super(Strategy.RW_LOCK, 1);
        }
    }

    /** The ConcurrentHashMap table. */
    public static final class ConcurrentMap extends TableOperationsWithRehash {
        public ConcurrentMap() {
            super(Strategy.CONCURRENT_HASH_MAP, 1);
        }
    }

    /**
     * Negative control: a remove that is not atomic (look up, unlock, then remove), so that
     * two concurrent removes of one key can both report success.
     */
    public static final class NonAtomicRemove extends TableOperations {
        public NonAtomicRemove() {
            super(Strategy.SMR_DEFAULT, 1);
        }

        @Override
        @Operation
        public boolean remove(@Param(name = "conn") final int c) {
            final ControlBlock b = table.lookup(conn(c), LockMode.READ);
            if (b == null) {
                return false;
            }
            b.unlock();
            table.remove(conn(c));
            return true;
        }
    }

    static ModelCheckingOptions model() {
        return new ModelCheckingOptions().sequentialSpecification(MapSpecification.class).iterations(ITERATIONS)
                .invocationsPerIteration(INVOCATIONS).threads(2).actorsPerThread(3).actorsBefore(2).actorsAfter(1);
    }

    static StressOptions stress() {
        return new StressOptions().sequentialSpecification(MapSpecification.class).iterations(ITERATIONS)
                .invocationsPerIteration(INVOCATIONS * 4).threads(2).actorsPerThread(3).actorsBefore(2)
                .actorsAfter(1);
    }

    @Test
    @Timeout(300)
    void modelSmrDefault() {
        model().check(SmrDefault.class);
    }

    @Test
    @Timeout(300)
    void modelSmrLazy() {
        model().check(SmrLazy.class);
    }

    @Test
    @Timeout(300)
    void modelPserialize() {
        model().check(Pserialize.class);
    }

    @Test
    @Timeout(300)
    void modelRwLock() {
        model().check(RwLock.class);
    }

    @Test
    @Timeout(300)
    void modelConcurrentMap() {
        model().check(ConcurrentMap.class);
    }

    @Test
    @Timeout(300)
    void stressSmrDefault() {
        stress().check(SmrDefault.class);
    }

    @Test
    @Timeout(300)
    void stressSmrLazy() {
        stress().check(SmrLazyWithRehash.class);
    }

    @Test
    @Timeout(300)
    void stressPserialize() {
        stress().check(Pserialize.class);
    }

    @Test
    @Timeout(300)
    void stressRwLock() {
        stress().check(RwLock.class);
    }

    @Test
    @Timeout(300)
    void stressConcurrentMap() {
        stress().check(ConcurrentMap.class);
    }

    @Test
    @Timeout(300)
    void controlNonAtomicRemoveIsCaught() throws Exception {
        final ExecutionScenario removeTwice = new ExecutionScenario(List.of(actor("insert", 0)),
                List.of(List.of(actor("remove", 0)), List.of(actor("remove", 0))), List.of(), null);
        assertThatThrownBy(() -> new ModelCheckingOptions().sequentialSpecification(MapSpecification.class)
                .iterations(0).invocationsPerIteration(200).addCustomScenario(removeTwice)
                .check(NonAtomicRemove.class))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("remove(0): true");
    }

    /** A Lincheck actor calling {@code name(arg)} of {@link TableOperations}. */
    static Actor actor(final String name, final int arg) throws NoSuchMethodException {
        return new Actor(TableOperations.class.getMethod(name, int.class), List.of(arg), false, false, false, false,
                false);
    }
}
