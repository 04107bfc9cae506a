package org.smr4j.netinet.lincheck;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;

/**
 * Linearizability of {@link ConnectionTable.Reader}'s lookups and reads, by key and by
 * fields, mixed with the table's own operations ({@link TableOperations}), against
 * {@link MapSpecification}, in every strategy: the handle keeps the table's contract. Each
 * operation takes the calling thread's handle ({@code table.reader()}), as a packet path
 * would once per thread. Model checking as in {@link ConnectionTableLincheckTest} (its
 * comment says why the lazy table starts at 2 buckets); stress mode for SMR_LAZY and
 * PSERIALIZE, whose readers the model checker sees under sequential consistency only.
 */
@Tag("lincheck") // run by the lincheck execution of surefire, two forks at once (see the pom)
class ReaderLincheckTest {

    /** The table's operations plus the same lookups through a reader handle. */
    public abstract static class ReaderOperations extends TableOperations {
        ReaderOperations(final Strategy strategy, final int initialBuckets) {
            super(strategy, initialBuckets);
        }

        @Operation
        public int readerLookup(@Param(name = "conn") final int c) {
            return checked(table.reader().lookup(conn(c), LockMode.READ), conn(c), LockMode.READ, c);
        }

        @Operation
        public int readerRead(@Param(name = "conn") final int c) {
            final ConnectionKey k = table.reader().read(conn(c), ControlBlock::key);
            return k == null ? -1 : k.equals(conn(c)) ? c : VIOLATION + c;
        }

        @Operation
        public int readerLookupFields(@Param(name = "conn") final int c) {
            final ConnectionKey k = conn(c);
            return checked(table.reader().lookupIpv4(k.protocol(), LOCAL, k.localPort(), (int) k.foreignLo(),
                    k.foreignPort(), LockMode.WRITE), k, LockMode.WRITE, c);
        }

        @Operation
        public int readerReadFields(@Param(name = "conn") final int c) {
            final ConnectionKey k = conn(c);
            final ConnectionKey seen = table.reader().readIpv4(k.protocol(), LOCAL, k.localPort(), (int) k.foreignLo(),
                    k.foreignPort(), ControlBlock::key);
            return seen == null ? -1 : seen.equals(k) ? c : VIOLATION + c;
        }

        @Operation
        public int readerLookupListenerFields(@Param(name = "listener") final int l) {
            final ConnectionKey k = listener(l);
            return checked(table.reader().lookupIpv4(k.protocol(), l == 0 ? LOCAL : 0, k.localPort(), 0, 0,
                    LockMode.READ), k, LockMode.READ, l);
        }
    }

    public static final class SmrDefault extends ReaderOperations {
        public SmrDefault() {
            super(Strategy.SMR_DEFAULT, 1);
        }
    }

    public static final class SmrLazy extends ReaderOperations {
        public SmrLazy() {
            super(Strategy.SMR_LAZY, 2);
        }
    }

    public static final class Pserialize extends ReaderOperations {
        public Pserialize() {
            super(Strategy.PSERIALIZE, 1);
        }
    }

    public static final class RwLock extends ReaderOperations {
        public RwLock() {
            super(Strategy.RW_LOCK, 1);
        }
    }

    public static final class ConcurrentMap extends ReaderOperations {
        public ConcurrentMap() {
            super(Strategy.CONCURRENT_HASH_MAP, 1);
        }
    }

    static ModelCheckingOptions model() {
        return ConnectionTableLincheckTest.model();
    }

    static StressOptions stress() {
        return ConnectionTableLincheckTest.stress();
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
    void stressSmrLazy() {
        stress().check(SmrLazy.class);
    }

    @Test
    @Timeout(300)
    void stressPserialize() {
        stress().check(Pserialize.class);
    }
}
