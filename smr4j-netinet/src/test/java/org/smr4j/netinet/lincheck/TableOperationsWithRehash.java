package org.smr4j.netinet.lincheck;

import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;

/**
 * {@link TableOperations} plus {@code rehash}: look up {@code from} for writing, move it to
 * {@code to}, unlock. Results: -1 if {@code from} is absent, 1 if moved (or already there), 0
 * if {@code to} is taken; a violation code if the block found breaks the contract.
 */
public abstract class TableOperationsWithRehash extends TableOperations {

    TableOperationsWithRehash(final Strategy strategy, final int initialBuckets) {
        super(strategy, initialBuckets);
    }

    @Operation
    public int rehash(@Param(name = "conn") final int from, @Param(name = "conn") final int to) {
        final ControlBlock b = table.lookup(conn(from), LockMode.WRITE);
        if (b == null) {
            return -1;
        }
        try {
            if (!b.isWriteLocked() || b.isFreed() || !conn(from).equals(b.key())) {
                return VIOLATION + from;
            }
            final boolean moved = table.rehash(b, conn(to));
            return !conn(moved ? to : from).equals(b.key()) ? VIOLATION + to : moved ? 1 : 0;
        } finally {
            b.unlock();
        }
    }
}
