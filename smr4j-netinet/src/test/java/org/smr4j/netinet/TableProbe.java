package org.smr4j.netinet;

import java.lang.reflect.Field;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.smr4j.PserializePool;
import org.smr4j.netinet.ConnectionTable.LockMode;

/**
 * White-box access to a table's internals for tests: the hash secret (fixed, so that a test
 * can choose keys that collide), the chain a key lands in, the block pools, a block's lock
 * object, and a structural validation for a quiescent table.
 *
 * <p>Public only so that the {@code lincheck} subpackage can fix the secret; the rest of
 * {@code org.smr4j.netinet} is reached through package-private members, and the two private
 * fields (the secret and a block's lock) through reflection, which works because the tests run
 * on the class path ({@code useModulePath=false}).
 */
public final class TableProbe {

    /** The secret tests use when they need a deterministic chain layout. */
    public static final long K0 = 0x0706050403020100L;
    /** Second half of {@link #K0}. */
    public static final long K1 = 0x0f0e0d0c0b0a0908L;

    private TableProbe() {
    }

    /** Whether {@code s} is one of the lockless (in_pcb-style) strategies. */
    public static boolean lockless(final ConnectionTable.Strategy s) {
        return s == ConnectionTable.Strategy.SMR_DEFAULT || s == ConnectionTable.Strategy.SMR_LAZY
                || s == ConnectionTable.Strategy.PSERIALIZE;
    }

    /** Whether {@code t} is one of the lockless (in_pcb-style) tables. */
    public static boolean lockless(final ConnectionTable t) {
        return t instanceof LocklessConnectionTable<?>;
    }

    /**
     * Replaces a lockless table's random SipHash secret by ({@link #K0}, {@link #K1}), so that
     * chains are the same on every run (Lincheck's model checker replays executions and needs
     * them deterministic; other tests choose colliding keys). Call before the first insert. No-op
     * for the other strategies.
     *
     * @param t the table
     * @return t
     */
    public static ConnectionTable fixSecret(final ConnectionTable t) {
        if (t instanceof LocklessConnectionTable<?>) {
            try {
                final Field f = LocklessConnectionTable.class.getDeclaredField("hasher");
                f.setAccessible(true);
                f.set(t, new SipHash(K0, K1));
            } catch (final ReflectiveOperationException e) {
                throw new LinkageError("cannot fix the secret of " + t, e);
            }
        }
        return t;
    }

    /** The bucket {@code k} lands in among {@code buckets} under the fixed secret. */
    public static int bucketOf(final ConnectionKey k, final int buckets) {
        return k.keyedHash(0, new SipHash(K0, K1)) & (buckets - 1); // table id 0: no caching
    }

    /** The block pool's put count (blocks given back), or -1 for strategies without a pool. */
    static long poolPuts(final ConnectionTable t) {
        if (t instanceof SmrConnectionTable s) {
            return s.pool().stats().puts();
        }
        if (t instanceof PserializeConnectionTable p) {
            return pserializePool(p).stats().puts();
        }
        return -1;
    }

    @SuppressWarnings("unchecked")
    static PserializePool<ControlBlock> pserializePool(final PserializeConnectionTable t) {
        try {
            final Field f = PserializeConnectionTable.class.getDeclaredField("pool");
            f.setAccessible(true);
            return (PserializePool<ControlBlock>) f.get(t);
        } catch (final ReflectiveOperationException e) {
            throw new LinkageError(e.toString(), e);
        }
    }

    /**
     * Whether the calling thread is inside the table's read section (SMR, pserialize), or the
     * table's own lock is held by anyone (RW_LOCK); false for CONCURRENT_HASH_MAP, which has
     * neither.
     */
    static boolean sectionOrTableLockHeld(final ConnectionTable t) {
        if (t instanceof SmrConnectionTable s) {
            return s.smr().entered();
        }
        if (t instanceof PserializeConnectionTable p) {
            return p.pserialize().entered();
        }
        if (t instanceof LockedConnectionTable l) {
            try {
                final Field f = LockedConnectionTable.class.getDeclaredField("tableLock");
                f.setAccessible(true);
                final java.util.concurrent.locks.StampedLock lock = (java.util.concurrent.locks.StampedLock) f.get(l);
                return lock.isReadLocked() || lock.isWriteLocked();
            } catch (final ReflectiveOperationException e) {
                throw new LinkageError(e.toString(), e);
            }
        }
        return false;
    }

    /** The block's lock object (created once by the pool's init hook). */
    static Object lockOf(final ControlBlock b) {
        return b.lock; // package-private, in ControlBlockLayout.Hot
    }

    /**
     * Checks a quiescent table (no operation in flight): every block reachable is present,
     * unlocked, not freed, holds exactly the table's reference (no reference leaked by a
     * lookup's reference path), owned by the table, in the chain its keyed hash names, with a
     * tuple equal to its key; keys are unique; the counts agree with {@code size()}; and
     * {@code forEach} visits each block once.
     *
     * @param t the table
     * @return the number of blocks
     */
    static long validate(final ConnectionTable t) {
        final Set<ConnectionKey> keys = new HashSet<>();
        long n = 0;
        if (t instanceof LocklessConnectionTable<?> l) {
            l.hashLock.lock();
            try {
                for (final LocklessConnectionTable.HashChains hc : new LocklessConnectionTable.HashChains[] {
                    l.connections, l.listeners}) {
                    final LocklessConnectionTable.Chains c = hc.current();
                    long inHash = 0;
                    for (int i = 0; i < c.length(); i++) {
                        for (ControlBlock b = c.headPlain(i); b != null; b = b.next(c.parity)) {
                            checkBlock(t, b, keys);
                            check(b.hash == l.hash(b.key), b, "stored hash is the keyed hash of its key");
                            check(c.index(b.hash) == i, b, "in the chain its hash names (bucket " + i + ")");
                            check(b.key.isListener() == (hc == l.listeners), b, "in the right hash");
                            inHash++;
                        }
                    }
                    check(inHash == hc.size, null, "hash size " + hc.size + " = blocks linked " + inHash);
                    n += inHash;
                }
            } finally {
                l.hashLock.unlock();
            }
        }
        final AtomicLong visited = new AtomicLong();
        final Set<ConnectionKey> seen = new HashSet<>();
        t.forEach(LockMode.READ, b -> {
            visited.incrementAndGet();
            check(seen.add(b.key()), b, "forEach visits each block once");
        });
        if (t instanceof LocklessConnectionTable<?>) {
            check(seen.equals(keys), null, "forEach visits exactly the linked blocks");
        } else {
            n = visited.get();
            // No chains to walk: the blocks forEach saw are checked unlocked (outside forEach).
        }
        check(t.size() == n, null, "size() " + t.size() + " = blocks " + n);
        check(visited.get() == n, null, "forEach visited " + visited.get() + " of " + n);
        for (final ConnectionKey k : seen) {
            final ControlBlock b = t.lookup(k, LockMode.WRITE);
            check(b != null, null, "lookup finds " + k);
            try {
                check(b.refs() == 1, b, "only the table's reference left (refs " + b.refs() + ")");
                check(!b.isFreed() && b.owner == t && b.matches(k) && b.key().equals(k), b, "present, owned, tuple = key");
            } finally {
                b.unlock();
            }
        }
        return n;
    }

    private static void checkBlock(final ConnectionTable t, final ControlBlock b, final Set<ConnectionKey> keys) {
        check(!b.isFreed(), b, "linked block not freed");
        check(b.owner == t, b, "owned by the table");
        check(b.key != null && b.matches(b.key), b, "tuple equals key");
        check(!b.isReadLocked() && !b.isWriteLocked(), b, "unlocked at rest");
        check(b.refs() == 1, b, "only the table's reference (refs " + b.refs() + ")");
        check(keys.add(b.key), b, "key unique");
    }

    private static void check(final boolean ok, final ControlBlock b, final String what) {
        if (!ok) {
            throw new AssertionError("table invariant violated: " + what + (b == null ? "" : ": " + b));
        }
    }
}
