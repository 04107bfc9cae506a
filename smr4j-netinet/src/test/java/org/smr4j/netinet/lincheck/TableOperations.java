package org.smr4j.netinet.lincheck;

import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;
import org.smr4j.netinet.TableProbe;

/**
 * The operations Lincheck runs on a {@link ConnectionTable}, over a key domain small enough
 * that they collide: four connections ({@code conn} 0..3, all to local 10.0.0.1:80) and two
 * listeners on port 81 ({@code listener} 0 = bound to 10.0.0.1, 1 = bound to every address).
 * The sequential specification is {@link MapSpecification}, a plain set of keys.
 *
 * <p>Every operation that gets a block back checks the contract on it before unlocking it:
 * locked in the mode asked, not freed, and its key equal to the key looked up. A block that
 * fails the check is reported as the result {@code 1000 + conn}, which the specification never
 * produces, so Lincheck prints the interleaving that led to it.
 *
 * <p>Wildcard lookups go to port 80, where one listener (every address) is inserted by the
 * constructor and never changes: {@code lookupWildcard} makes up to three exact lookups, so it
 * is linearizable only while at most one of the keys it consults changes, which the
 * table's contract promises ("operations on one key"). The changing listeners live on port 81
 * and are looked up exactly.
 *
 * <p>Rehash is in {@link TableOperationsWithRehash}, because the lazy SMR domain cannot run it
 * under the model checker (see {@link ConnectionTableLincheckTest}).
 */
@Param(name = "conn", gen = IntGen.class, conf = "0:3")
@Param(name = "listener", gen = IntGen.class, conf = "0:1")
public abstract class TableOperations {

    /** Local address of every key, 10.0.0.1. */
    static final int LOCAL = 0x0A000001;
    /** Result code of the fixed wildcard listener (port 80, every address). */
    static final int ANY80 = 11;
    /** Result offset of a block that breaks the contract. */
    static final int VIOLATION = 1000;

    final ConnectionTable table;

    /**
     * A table of the strategy, with the fixed secret (deterministic chains, which the model
     * checker's replay needs) and the port 80 wildcard listener.
     */
    TableOperations(final Strategy strategy, final int initialBuckets) {
        table = TableProbe.fixSecret(ConnectionTable.builder(strategy).initialBuckets(initialBuckets).build());
        table.insert(ConnectionKey.listener(ConnectionKey.TCP, 80)).unlock();
    }

    static ConnectionKey conn(final int c) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, LOCAL, 80, 0xC0000201 + c, 40_000 + c);
    }

    static ConnectionKey listener(final int l) {
        return l == 0 ? ConnectionKey.listener(ConnectionKey.TCP, LOCAL, 81) : ConnectionKey.listener(ConnectionKey.TCP, 81);
    }

    @Operation
    public boolean insert(@Param(name = "conn") final int c) {
        final ControlBlock b = table.insert(conn(c));
        if (b == null) {
            return false;
        }
        b.unlock();
        return true;
    }

    @Operation
    public boolean remove(@Param(name = "conn") final int c) {
        return table.remove(conn(c));
    }

    @Operation
    public int lookup(@Param(name = "conn") final int c) {
        return checked(table.lookup(conn(c), LockMode.READ), conn(c), LockMode.READ, c);
    }

    @Operation
    public int lookupWrite(@Param(name = "conn") final int c) {
        return checked(table.lookup(conn(c), LockMode.WRITE), conn(c), LockMode.WRITE, c);
    }

    @Operation
    public int read(@Param(name = "conn") final int c) {
        final ConnectionKey k = table.read(conn(c), ControlBlock::key);
        return k == null ? -1 : k.equals(conn(c)) ? c : VIOLATION + c;
    }

    @Operation
    public int lookupWildcard(@Param(name = "conn") final int c) {
        final ControlBlock b = table.lookupWildcard(conn(c), LockMode.READ);
        if (b == null) {
            return -1;
        }
        final ConnectionKey expected = b.key().isListener() ? ConnectionKey.listener(ConnectionKey.TCP, 80) : conn(c);
        return checked(b, expected, LockMode.READ, b.key().isListener() ? ANY80 : c);
    }

    @Operation
    public boolean insertListener(@Param(name = "listener") final int l) {
        final ControlBlock b = table.insert(listener(l));
        if (b == null) {
            return false;
        }
        b.unlock();
        return true;
    }

    @Operation
    public boolean removeListener(@Param(name = "listener") final int l) {
        return table.remove(listener(l));
    }

    @Operation
    public int lookupListener(@Param(name = "listener") final int l) {
        return checked(table.lookup(listener(l), LockMode.READ), listener(l), LockMode.READ, l);
    }

    /** Checks the contract on a looked-up block and unlocks it; returns {@code ok}, -1, or a violation code. */
    static int checked(final ControlBlock b, final ConnectionKey k, final LockMode mode, final int ok) {
        if (b == null) {
            return -1;
        }
        try {
            final boolean locked = mode == LockMode.READ ? b.isReadLocked() : b.isWriteLocked();
            return locked && !b.isFreed() && k.equals(b.key()) ? ok : VIOLATION + ok;
        } finally {
            b.unlock();
        }
    }
}
