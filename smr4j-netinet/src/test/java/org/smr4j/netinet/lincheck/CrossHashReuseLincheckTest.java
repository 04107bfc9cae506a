package org.smr4j.netinet.lincheck;

import static org.smr4j.netinet.lincheck.ConnectionTableLincheckTest.actor;

import java.util.List;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.TableProbe;
import org.smr4j.testsupport.TestSupport;

/**
 * One hand-made scenario, model-checked: issue 8's wrong miss of the pserialize table, where a
 * block a reader stands on is reused in the <em>other</em> hash (connections and listeners
 * share one {@code PR_PSERIALIZE} pool) after the reader's array was retired by a growth.
 *
 * <pre>
 *   init:      insert(K), insert(X)           2 buckets, parity 0 (A0); one chain X -> K
 *   thread 1:  lookup(K)
 *   thread 2:  insert(Z)                      grows the connection hash to A1 (4 buckets, parity 1)
 *              remove(X)                      unlinked from A1: only A1's removal count moves
 *              insertListener(0)              reuses X's block; the listen hash is still at
 *                                             parity 0, so X's parity-0 link is rewritten
 * </pre>
 * A reader that loaded A0 and stands on X follows X's rewritten link into the listen chain and
 * misses K; A0's count did not move, so only a check that the walked array is still current
 * tells it not to trust the miss. {@code lookup(K)} must return K: K is present throughout.
 * Without that check ({@code PserializeConnectionTable.chainUnchanged} comparing the count
 * alone) this test fails with {@code lookup(K): -1} (checked by reverting the fix);
 * {@code CrossHashReuseTest} is its real-thread counterpart.
 */
@Tag("lincheck") // run by the lincheck execution of surefire, two forks at once (see the pom)
class CrossHashReuseLincheckTest {

    static final int BUCKETS = 2;

    /**
     * Model-checking invocations: 1,000, or 6,000 under {@code -Pslow};
     * {@code -Dsmr4j.crosshash.invocations} overrides. The old code failed within 50 (checked
     * with 50, 200 and 6,000), so the default has a margin of 20; it passes in about 8 s.
     */
    static final int INVOCATIONS = (int) TestSupport.knob("smr4j.crosshash.invocations", 1_000, 6_000);

    /** Pserialize with {@value #BUCKETS} buckets: two connections fit, a third grows it. */
    public static final class Pserialize2 extends TableOperations {
        public Pserialize2() {
            super(Strategy.PSERIALIZE, BUCKETS);
        }
    }

    /** K, X in one bucket of {@value #BUCKETS}, Z any third key. */
    static ExecutionScenario scenario() throws NoSuchMethodException {
        for (int a = 0; a < 64; a++) {
            for (int b = 0; b < 64; b++) {
                if (a != b && TableProbe.bucketOf(TableOperations.conn(a), BUCKETS)
                        == TableProbe.bucketOf(TableOperations.conn(b), BUCKETS)) {
                    final int z = a != 0 && b != 0 ? 0 : a != 1 && b != 1 ? 1 : 2;
                    return new ExecutionScenario(List.of(actor("insert", a), actor("insert", b)),
                            List.of(List.of(actor("lookup", a)),
                                    List.of(actor("insert", z), actor("remove", b), actor("insertListener", 0))),
                            List.of(), null);
                }
            }
        }
        throw new AssertionError("no two keys share a bucket under the fixed secret");
    }

    @Test
    @Timeout(300)
    void pserializeLookupIsNotMisledByAReuseInTheOtherHash() throws Exception {
        new ModelCheckingOptions().sequentialSpecification(MapSpecification.class).iterations(0)
                .invocationsPerIteration(INVOCATIONS).addCustomScenario(scenario())
                .check(Pserialize2.class);
    }
}
