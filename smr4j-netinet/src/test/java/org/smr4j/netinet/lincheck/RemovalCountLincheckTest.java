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

/**
 * One hand-made scenario, model-checked: a pserialize lookup of a present key K while another
 * thread removes X, the block in front of K in K's chain, and at once inserts Y into another
 * chain, which the {@code PR_PSERIALIZE} pool serves with X's block.
 *
 * <pre>
 *   init:      insert(K), insert(X)             one chain: X -> K (new blocks go first)
 *   thread 1:  lookup(K)
 *   thread 2:  remove(X), insert(Y)             X's block, reused for Y, now heads Y's chain
 * </pre>
 * A reader standing on X's block when it is relinked walks Y's chain and misses K; the chain's
 * removal count must tell it so. The churn harness found a miss (1 in 30 M lookups) while
 * {@code Chains.unlink} bumped the count before unlinking: a reader could read the new count
 * as its stamp, then still reach X through the old chain. This scenario makes the model checker
 * look for exactly that interleaving; with the old order it failed ({@code lookup(K): -1}
 * against {@code remove(X); insert(Y)}, checked by reverting the fix), and it passes with the
 * count bumped after the unlink.
 */
@Tag("lincheck") // run by the lincheck execution of surefire, two forks at once (see the pom)
class RemovalCountLincheckTest {

    static final int BUCKETS = 8;

    /**
     * Model-checking invocations. With the old order the checker found the miss within 6,000
     * (it did not within the 400 of the general scenarios), so this test always runs 6,000.
     */
    static final int INVOCATIONS = 6_000;

    /** Pserialize with {@value #BUCKETS} buckets, so that three connections never grow it. */
    public static final class Pserialize8 extends TableOperations {
        public Pserialize8() {
            super(Strategy.PSERIALIZE, BUCKETS);
        }
    }

    static ExecutionScenario scenario() throws NoSuchMethodException {
        int k = -1;
        int x = -1;
        int y = -1;
        for (int a = 0; a < 64 && y < 0; a++) {
            for (int b = 0; b < 64 && y < 0; b++) {
                if (a != b && TableProbe.bucketOf(TableOperations.conn(a), BUCKETS)
                        == TableProbe.bucketOf(TableOperations.conn(b), BUCKETS)) {
                    for (int c = 0; c < 64; c++) {
                        if (TableProbe.bucketOf(TableOperations.conn(c), BUCKETS)
                                != TableProbe.bucketOf(TableOperations.conn(a), BUCKETS)) {
                            k = a;
                            x = b;
                            y = c;
                            break;
                        }
                    }
                }
            }
        }
        if (y < 0) {
            throw new AssertionError("no key layout under the fixed secret");
        }
        return new ExecutionScenario(List.of(actor("insert", k), actor("insert", x)),
                List.of(List.of(actor("lookup", k)), List.of(actor("remove", x), actor("insert", y))),
                List.of(), null);
    }

    @Test
    @Timeout(300)
    void pserializeLookupIsNotMisledByAnImmediateReuse() throws Exception {
        new ModelCheckingOptions().sequentialSpecification(MapSpecification.class).iterations(0)
                .invocationsPerIteration(INVOCATIONS).addCustomScenario(scenario())
                .check(Pserialize8.class);
    }
}
