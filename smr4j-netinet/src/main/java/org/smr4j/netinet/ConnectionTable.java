package org.smr4j.netinet;

import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A table of connections ({@link ControlBlock}s keyed by {@link ConnectionKey}), the way a
 * network stack keeps its protocol control blocks, with one interface over several
 * reclamation strategies so that they can be weighed against each other on the same work.
 *
 * <h2>Strategies</h2>
 * <ul>
 * <li>{@link Strategy#SMR_DEFAULT} and {@link Strategy#SMR_LAZY}: FreeBSD's {@code in_pcb}
 *     lockless lookup over an {@link org.smr4j.Smr} domain of that mode and an
 *     {@link org.smr4j.SmrPool} of blocks: a lookup enters a read section, walks the hash
 *     chain, try-locks the block it finds, checks that it is not freed, revalidates the
 *     tuple and leaves; a freed block is reused only once no reader can still hold it.</li>
 * <li>{@link Strategy#PSERIALIZE}: the same lockless lookup over NetBSD-style
 *     {@link org.smr4j.Pserialize} (no fence on the read side) and a
 *     {@link org.smr4j.PserializePool} with {@code PR_PSERIALIZE} semantics: a freed block
 *     may be handed out again at once, so readers also confirm a miss (see
 *     {@code PserializeConnectionTable}).</li>
 * <li>{@link Strategy#RW_LOCK}: a {@link java.util.HashMap} under one
 *     {@link java.util.concurrent.locks.StampedLock} (readers take its read lock), with a new
 *     block per connection.</li>
 * <li>{@link Strategy#CONCURRENT_HASH_MAP}: the idiomatic Java answer,
 *     {@link java.util.concurrent.ConcurrentHashMap} with a new block per connection and the
 *     garbage collector as the reclaimer.</li>
 * </ul>
 *
 * <h2>Contract (every strategy)</h2>
 * <ul>
 * <li>{@link #lookup lookup} returns either {@code null} or a block locked in the requested
 *     mode, not {@linkplain ControlBlock#isFreed() freed}, whose
 *     {@linkplain ControlBlock#key() key} equals the key looked up. The caller
 *     {@linkplain ControlBlock#unlock() unlocks} it.</li>
 * <li>Operations on one key are linearizable: insert, remove, rehash and lookup behave as if
 *     they happened one at a time at some instant inside each call.</li>
 * <li>{@link #insert insert} and {@link #rehash rehash} refuse a key that is already present
 *     (they return {@code null}/{@code false}), like {@code EADDRINUSE}.</li>
 * <li>{@link #forEach forEach} tolerates concurrent changes: it visits every block that is
 *     present, and not rehashed, for the whole call exactly once; blocks inserted, removed or
 *     rehashed meanwhile may or may not be visited.</li>
 * </ul>
 *
 * <h2>Memory consistency effects</h2>
 * Actions in a thread before {@code insert} of a key, and before {@link ControlBlock#unlock()}
 * of a block, happen-before the return of a {@code lookup} that returns that block (the
 * block lock is the carrier, as in FreeBSD). A lookup that returns {@code null} gives no
 * ordering.
 *
 * <h2>Threads</h2>
 * All methods may be called from any thread, platform or virtual. A hot path takes the
 * thread's {@link #reader() Reader} once and looks up through it: the same contract, without
 * a thread-local lookup per call, and by the tuple's fields without a key. A lookup never blocks
 * except on the lock of the block it found when that lock is busy (then it holds a reference,
 * not a read section). {@code insert}, {@code remove} and {@code rehash} serialise on the
 * table's write lock; {@code rehash} may wait for a grace period.
 *
 * <h2>Preempted readers: the JVM difference</h2>
 * In the kernel, {@code smr_enter} and {@code pserialize_read_enter} disable preemption, so a
 * read section lasts nanoseconds. A Java reader can be descheduled inside a section for a whole
 * scheduler quantum (milliseconds), and every grace period that began after its enter waits
 * for it; with more runnable threads than cores that is the normal case. What it costs here:
 * <ul>
 * <li>SMR strategies without {@link Builder#limits limits}: removed blocks pile up (memory),
 *     the writers never wait. One reader held inside for a second while one thread churned a
 *     table of 10,000 connections left 720,672 blocks pending (SMR_DEFAULT) and 193,248
 *     (SMR_LAZY).</li>
 * <li>With limits: at most {@code pendingLimit} blocks pend; then a removal waits for the
 *     oldest batch's readers (expedited, parking, so that the preempted reader gets a CPU
 *     back): the preemption costs the writers latency instead of memory. At {@code r}
 *     removals per second, {@code pendingLimit / r} seconds of reader delay are absorbed
 *     without a wait: size it for the longest preemption you expect (4,096, the default,
 *     absorbs 40 ms at 100,000 removals per second).</li>
 * <li>PSERIALIZE never holds blocks back, but its lookups confirm misses that a concurrent
 *     removal may have redirected, and its growth and rehash wait for every reader.</li>
 * <li>{@link Strategy#CONCURRENT_HASH_MAP} never waits for a reader: the collector finds the
 *     block unreachable later. Prefer it when readers are often preempted inside sections and
 *     the heap has room, or when removals are rare; prefer a pooled strategy when memory must
 *     stay bounded under churn or a flood, or allocation and GC pauses matter.</li>
 * </ul>
 * {@code docs/GUIDE.md} (section 8) and {@code docs/PERFORMANCE.md} (the sweep) have the
 * measurements.
 *
 * <h2>Misuse</h2>
 * Every strategy refuses the same calls, before doing anything, so that a refused call changes
 * nothing and the table stays usable:
 * <ul>
 * <li>a {@code null} argument: {@link NullPointerException} whose message is the parameter's
 *     name as documented here ({@code "key"}, {@code "mode"}, {@code "function"},
 *     {@code "block"}, {@code "newKey"}, {@code "action"});</li>
 * <li>a value out of range (the {@link Builder}'s settings): {@link IllegalArgumentException}
 *     naming the parameter, the value and the valid range;</li>
 * <li>a call in the wrong state: {@link IllegalStateException} whose message names the table
 *     (name and strategy), the state and the calling thread. The states, each with its own
 *     message: the table is closed; a block passed to {@link #remove(ControlBlock)} or
 *     {@link #rehash} is freed (removed already), belongs to another table, is read-locked,
 *     or is not locked (it must be write-locked by the caller; the lock is not owner-aware,
 *     so a block write-locked by another thread is not detected).</li>
 * </ul>
 * After {@link #close()} every operation but {@code close()}, {@link #stats()},
 * {@link #name()} and {@link #strategy()} is refused ({@code toString()} keeps working).
 * The callbacks ({@link #forEach forEach}'s action, {@link #read read}'s function) may throw
 * anything, checked exceptions included: the exception propagates unchanged, and the table
 * first unlocks the block, drops its references and leaves its read section.
 */
public sealed interface ConnectionTable extends AutoCloseable permits AbstractConnectionTable {

    /** The mode in which a block is locked for the caller. */
    enum LockMode {
        /** Shared: several threads may hold it (packet input that only reads the block). */
        READ,
        /** Exclusive: required to change the block, to remove it or to rehash it. */
        WRITE
    }

    /** The reclamation strategies a table can be built with; see {@link ConnectionTable}. */
    enum Strategy {
        /** Lockless lookup, {@code Smr} default mode, {@code SmrPool}. */
        SMR_DEFAULT,
        /** Lockless lookup, {@code Smr} lazy mode (fence-free readers), {@code SmrPool}. */
        SMR_LAZY,
        /** Lockless lookup, {@code Pserialize}, {@code PserializePool} (immediate reuse). */
        PSERIALIZE,
        /** {@code HashMap} under a {@code StampedLock}, new blocks, garbage collection. */
        RW_LOCK,
        /** {@code ConcurrentHashMap}, new blocks, garbage collection. */
        CONCURRENT_HASH_MAP
    }

    /**
     * Starts building a table.
     *
     * @param strategy the reclamation strategy
     * @return a builder
     * @throws NullPointerException if {@code strategy} is null
     */
    static Builder builder(final Strategy strategy) {
        return new Builder(Objects.requireNonNull(strategy, "strategy"));
    }

    /**
     * A table of the given strategy with default settings.
     *
     * @param strategy the reclamation strategy
     * @return the table
     * @throws NullPointerException if {@code strategy} is null
     */
    static ConnectionTable create(final Strategy strategy) {
        return builder(strategy).build();
    }

    /** {@return the strategy this table was built with} */
    Strategy strategy();

    /** {@return the table's name (used in its pool's and domain's names)} */
    String name();

    /**
     * Inserts a connection and returns its new block, locked for writing, so that the caller
     * can attach state before any lookup sees the connection in use ({@code in_pcballoc}).
     *
     * @param key the connection; a {@linkplain ConnectionKey#isListener() listener} key
     *        inserts a listening socket
     * @return the block, write-locked; or {@code null} if the key is already present
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalStateException if the table is closed
     */
    @Nullable ControlBlock insert(ConnectionKey key);

    /**
     * Exact-match lookup. A listener key finds the listener bound to exactly that address.
     *
     * @param key the connection
     * @param mode how to lock the block returned
     * @return the block, locked in {@code mode}; or {@code null}
     * @throws NullPointerException if {@code key} or {@code mode} is null
     * @throws IllegalStateException if the table is closed
     */
    @Nullable ControlBlock lookup(ConnectionKey key, LockMode mode);

    /**
     * Lock-free read: finds the connection and applies {@code function} to its block without
     * locking it, the way {@code ConcurrentHashMap.get} hands out a value. The lockless
     * strategies apply it inside their read section, so the block cannot be reused meanwhile
     * (SMR); pserialize, whose blocks can be reused at once, checks the block's
     * {@linkplain ControlBlock#generation() generation} around the call and retries on a
     * change. {@code function} sees the block as of some instant during the call; a remove
     * running concurrently may already have marked it {@linkplain ControlBlock#isFreed()
     * freed} while {@code function} runs (the read is then ordered just before the remove), so
     * a function that must not act on a closing connection checks {@code isFreed()}. It may run
     * more than once, must not block, lock the block or change the table, and should read only
     * fields that the connection's writers publish safely (the
     * {@linkplain ControlBlock#attachment() attachment} is written under the block's write
     * lock; read what it refers to through its own synchronisation). If it throws, the
     * exception propagates and the read section is left.
     *
     * @param <V> the result type
     * @param key the connection
     * @param function what to read from the block
     * @return {@code function}'s result, or {@code null} if the key is not present
     * @throws NullPointerException if {@code key} or {@code function} is null
     * @throws IllegalStateException if the table is closed
     */
    <V> @Nullable V read(ConnectionKey key, java.util.function.Function<? super ControlBlock, ? extends V> function);

    /**
     * A reader handle for the calling thread: {@link Reader#lookup lookup} and
     * {@link Reader#read read} with this table's contract, and lookups by the tuple's fields
     * ({@link Reader#lookupIpv4 lookupIpv4}, {@link Reader#readIpv4 readIpv4} and the IPv6
     * forms), for hot paths. The handle skips the per-call thread-local lookup of the
     * table's read section (it holds the thread's section record itself, as
     * {@link org.smr4j.Smr.Reader} does for a domain). Call it once per thread and keep the
     * handle; each call returns a new handle, and every handle of a thread works.
     *
     * @return a handle that only the calling thread may use
     * @throws IllegalStateException if the table is closed
     */
    Reader reader();

    /**
     * Wildcard lookup ({@code INPLOOKUP_WILDCARD}): the connection if present, else the
     * listener bound to the key's local address and port, else the listener bound to every
     * address on that port.
     *
     * @param key the connection (a listener key skips the first step)
     * @param mode how to lock the block returned
     * @return the block, locked in {@code mode}; or {@code null}
     * @throws NullPointerException if {@code key} or {@code mode} is null
     * @throws IllegalStateException if the table is closed
     */
    @Nullable ControlBlock lookupWildcard(ConnectionKey key, LockMode mode);

    /**
     * Removes a connection ({@code in_pcbfree}): marks its block freed under the block's write
     * lock, unlinks it, and drops the table's reference; the block returns to its pool when
     * the last reference goes.
     *
     * @param key the connection
     * @return true if it was present
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalStateException if the table is closed
     */
    boolean remove(ConnectionKey key);

    /**
     * Removes the connection of a block the caller holds write-locked (from
     * {@link #insert insert} or a {@link LockMode#WRITE} lookup), and unlocks it.
     *
     * @param block the block, write-locked by the caller
     * @throws NullPointerException if {@code block} is null
     * @throws IllegalStateException if the table is closed, or the block is freed, of another
     *         table, read-locked or not locked (each with its own message)
     */
    void remove(ControlBlock block);

    /**
     * Changes a connection's tuple ({@code in_pcbrehash}, after a connect or bind), moving it
     * to the chain of the new key. The lockless strategies wait until no reader can still be
     * walking the old chain through the block before linking it into the new one. The block
     * stays locked.
     *
     * @param block the block, write-locked by the caller
     * @param newKey the new tuple
     * @return true if moved; false if {@code newKey} is already present (nothing changes)
     * @throws NullPointerException if {@code block} or {@code newKey} is null
     * @throws IllegalStateException if the table is closed, or the block is freed, of another
     *         table, read-locked or not locked (each with its own message)
     */
    boolean rehash(ControlBlock block, ConnectionKey newKey);

    /**
     * Calls {@code action} for each block, locked in {@code mode} for the duration of the
     * call, and tolerates concurrent changes (see the class comment). The action must not
     * insert, remove or rehash in this table. If the action throws, the iteration stops and
     * the exception propagates, after the block is unlocked and every reference the iteration
     * held is dropped.
     *
     * @param mode how to lock each block
     * @param action what to do with each
     * @throws NullPointerException if {@code mode} or {@code action} is null
     * @throws IllegalStateException if the table is closed
     */
    void forEach(LockMode mode, Consumer<? super ControlBlock> action);

    /**
     * The number of connections and listeners present.
     *
     * @return the count
     * @throws IllegalStateException if the table is closed
     */
    long size();

    /**
     * A snapshot of the table's counters. The pooled strategies read their pool's statistics,
     * which takes each of the pool's stripe locks briefly: sampling every millisecond is
     * fine, calling it per operation is not. Allowed after {@link #close()} (the counters as
     * the close left them).
     *
     * @return the counters
     */
    Stats stats();

    /**
     * The length of the longest hash chain now: walks every chain under the table's write
     * lock, so O(n); for tests and reports, not for sampling.
     *
     * @return the longest chain, or -1 where the strategy does not chain its own buckets
     * @throws IllegalStateException if the table is closed
     */
    int longestChain();

    /**
     * Removes every connection and releases the pool and domain the table created; from then
     * on the table refuses every operation but {@code close()} (a no-op), {@link #stats()},
     * {@link #name()} and {@link #strategy()}. Operations concurrent with {@code close} either
     * complete or are refused; a caller holding a block's lock makes {@code close} wait for
     * it.
     */
    @Override
    void close();

    /**
     * Returns the name under which this table's MBean ({@link ConnectionTableMXBean}) is
     * registered: {@code org.smr4j:type=ConnectionTable,name=<name>}, with
     * {@code ,instance=<n>} appended while another table of the same name is registered. The
     * MBean is registered when the table is built and unregistered by {@link #close()} (or
     * once the table is unreachable); the name is kept after close.
     *
     * @return the object name, or null if registration failed
     */
    @Nullable String mbeanName();

    /**
     * One thread's handle for lookups on hot paths, from {@link ConnectionTable#reader()}:
     * what the packet input path of a stack holds per CPU. {@link #lookup lookup} and
     * {@link #read read} keep the table's contract exactly (results, linearizability, memory
     * consistency effects, misuse); the handle only saves work: no thread-local lookup per
     * call, since it holds the thread's section record of the table's domain.
     *
     * <h2>Lookup by fields</h2>
     * {@link #lookupIpv4 lookupIpv4}, {@link #lookupIpv6 lookupIpv6},
     * {@link #readIpv4 readIpv4} and {@link #readIpv6 readIpv6} take the tuple's fields, as
     * FreeBSD's {@code in_pcblookup} does, instead of a {@link ConnectionKey}: the lockless
     * strategies hash and compare the fields directly and build no key object. Each is
     * equivalent to the key form with {@link ConnectionKey#ipv4 ConnectionKey.ipv4} or
     * {@link ConnectionKey#ipv6 ConnectionKey.ipv6} of the same fields (so a foreign side of
     * zeros names a listener, and an IPv4 address 0 is the unspecified address). The
     * {@code RW_LOCK} and {@code CONCURRENT_HASH_MAP} strategies are maps keyed by
     * {@code ConnectionKey}: they build the key inside.
     *
     * <h2>Threads</h2>
     * Only the thread that called {@link ConnectionTable#reader()} may use the handle,
     * platform or virtual: a call from another thread is refused with an
     * {@link IllegalStateException} naming the table, the handle's thread and the calling
     * thread. A virtual thread keeps its handle across unmounts (the section record belongs
     * to the thread, not to its carrier); do not share a handle between the virtual threads
     * of a pool.
     *
     * <h2>Misuse</h2>
     * As for the table: null arguments throw {@link NullPointerException} naming the
     * parameter; a protocol outside [0, 255] or a port outside [0, 65535] throws
     * {@link IllegalArgumentException} as the {@link ConnectionKey} factories do; a call
     * after the table's {@link ConnectionTable#close() close()} throws
     * {@link IllegalStateException}. Null checks come first, then the thread, then the
     * closed state, then the ranges.
     *
     * <h2>Memory consistency effects</h2>
     * Those of {@link ConnectionTable#lookup} and {@link ConnectionTable#read}.
     */
    sealed interface Reader permits AbstractConnectionTable.TableReader {

        /** {@return the table this handle reads} */
        ConnectionTable table();

        /**
         * {@link ConnectionTable#lookup(ConnectionKey, LockMode)}, through this handle.
         *
         * @param key the connection
         * @param mode how to lock the block returned
         * @return the block, locked in {@code mode}; or {@code null}
         * @throws NullPointerException if {@code key} or {@code mode} is null
         * @throws IllegalStateException if called from another thread, or the table is closed
         */
        @Nullable ControlBlock lookup(ConnectionKey key, LockMode mode);

        /**
         * {@link ConnectionTable#read(ConnectionKey, java.util.function.Function)}, through
         * this handle.
         *
         * @param <V> the result type
         * @param key the connection
         * @param function what to read from the block
         * @return {@code function}'s result, or {@code null} if the key is not present
         * @throws NullPointerException if {@code key} or {@code function} is null
         * @throws IllegalStateException if called from another thread, or the table is closed
         */
        <V> @Nullable V read(ConnectionKey key, java.util.function.Function<? super ControlBlock, ? extends V> function);

        /**
         * The lookup of {@code ConnectionKey.ipv4(protocol, localAddress, localPort,
         * foreignAddress, foreignPort)}, without the key.
         *
         * @param protocol IP protocol number, 0 to 255
         * @param localAddress local IPv4 address, network byte order in an int
         * @param localPort 0 to 65535
         * @param foreignAddress foreign IPv4 address
         * @param foreignPort 0 to 65535
         * @param mode how to lock the block returned
         * @return the block, locked in {@code mode}; or {@code null}
         * @throws NullPointerException if {@code mode} is null
         * @throws IllegalArgumentException if the protocol or a port is out of range
         * @throws IllegalStateException if called from another thread, or the table is closed
         */
        @Nullable ControlBlock lookupIpv4(int protocol, int localAddress, int localPort, int foreignAddress, int foreignPort,
                LockMode mode);

        /**
         * The lookup of {@code ConnectionKey.ipv6(protocol, localHi, localLo, localPort,
         * foreignHi, foreignLo, foreignPort)}, without the key.
         *
         * @param protocol IP protocol number, 0 to 255
         * @param localHi high 64 bits of the local address
         * @param localLo low 64 bits of the local address
         * @param localPort 0 to 65535
         * @param foreignHi high 64 bits of the foreign address
         * @param foreignLo low 64 bits of the foreign address
         * @param foreignPort 0 to 65535
         * @param mode how to lock the block returned
         * @return the block, locked in {@code mode}; or {@code null}
         * @throws NullPointerException if {@code mode} is null
         * @throws IllegalArgumentException if the protocol or a port is out of range
         * @throws IllegalStateException if called from another thread, or the table is closed
         */
        @Nullable ControlBlock lookupIpv6(int protocol, long localHi, long localLo, int localPort, long foreignHi,
                long foreignLo, int foreignPort, LockMode mode);

        /**
         * The read of {@code ConnectionKey.ipv4(protocol, localAddress, localPort,
         * foreignAddress, foreignPort)}, without the key.
         *
         * @param <V> the result type
         * @param protocol IP protocol number, 0 to 255
         * @param localAddress local IPv4 address, network byte order in an int
         * @param localPort 0 to 65535
         * @param foreignAddress foreign IPv4 address
         * @param foreignPort 0 to 65535
         * @param function what to read from the block
         * @return {@code function}'s result, or {@code null} if the connection is not present
         * @throws NullPointerException if {@code function} is null
         * @throws IllegalArgumentException if the protocol or a port is out of range
         * @throws IllegalStateException if called from another thread, or the table is closed
         */
        <V> @Nullable V readIpv4(int protocol, int localAddress, int localPort, int foreignAddress, int foreignPort,
                java.util.function.Function<? super ControlBlock, ? extends V> function);

        /**
         * The read of {@code ConnectionKey.ipv6(protocol, localHi, localLo, localPort,
         * foreignHi, foreignLo, foreignPort)}, without the key.
         *
         * @param <V> the result type
         * @param protocol IP protocol number, 0 to 255
         * @param localHi high 64 bits of the local address
         * @param localLo low 64 bits of the local address
         * @param localPort 0 to 65535
         * @param foreignHi high 64 bits of the foreign address
         * @param foreignLo low 64 bits of the foreign address
         * @param foreignPort 0 to 65535
         * @param function what to read from the block
         * @return {@code function}'s result, or {@code null} if the connection is not present
         * @throws NullPointerException if {@code function} is null
         * @throws IllegalArgumentException if the protocol or a port is out of range
         * @throws IllegalStateException if called from another thread, or the table is closed
         */
        <V> @Nullable V readIpv6(int protocol, long localHi, long localLo, int localPort, long foreignHi, long foreignLo,
                int foreignPort, java.util.function.Function<? super ControlBlock, ? extends V> function);
    }

    /**
     * A snapshot of a table's counters.
     *
     * @param strategy the strategy
     * @param size connections and listeners present
     * @param buckets hash buckets of the connection hash, or -1 where the strategy hides them
     * @param inserts successful inserts
     * @param removes successful removes
     * @param rehashes successful rehashes
     * @param resizes times the table grew
     * @param lockedFallbacks lookups that fell back to the locked lookup
     * @param referencePaths lookups that found the block's lock busy and took a reference
     * @param missRetries lockless misses that had to be confirmed again (pserialize)
     * @param blocksCreated blocks ever created (the pool's count; new blocks for RW_LOCK and
     *        CONCURRENT_HASH_MAP). A pooled table's pool gives idle blocks back (its
     *        working-set trim) and may create others later, so this count can pass the
     *        pool's hard limit over a table's life; {@code blocksLive} cannot
     * @param blocksLive blocks that exist now (created and not yet destroyed: present, pending
     *        or cached for reuse), the memory the pooled strategies hold; never above
     *        {@code maxConnections + pendingLimit} of {@link Builder#limits limits}; -1 where
     *        the garbage collector owns the blocks (RW_LOCK, CONCURRENT_HASH_MAP)
     * @param blocksPending removed blocks not yet reusable (SMR: waiting for the grace period;
     *        pserialize: waiting for the barrier before destruction); -1 where the garbage
     *        collector owns them and the count is unknown
     */
    record Stats(Strategy strategy, long size, long buckets, long inserts, long removes,
            long rehashes, long resizes, long lockedFallbacks, long referencePaths, long missRetries,
            long blocksCreated, long blocksLive, long blocksPending) {
    }

    /**
     * Configures a {@link ConnectionTable}. Settings a strategy has no use for are ignored,
     * but every strategy checks them the same way, so that a configuration means the same in
     * each. A refused setting leaves the builder as it was; nothing is allocated before
     * {@link #build()}, which checks nothing further. Not thread-safe.
     */
    final class Builder {
        /**
         * The largest {@code maxConnections + pendingLimit} of {@link #limits limits}:
         * 2<sup>31</sup> - 1, the largest hard limit a {@code PserializePool} supports, for
         * every strategy.
         */
        public static final long MAX_BLOCKS = Integer.MAX_VALUE;
        /** The largest {@link #initialBuckets initialBuckets}: 2<sup>30</sup>. */
        public static final int MAX_BUCKETS = 1 << 30;

        final Strategy strategy;
        String name;
        int initialBuckets = 1024;
        int maxChain = 8;
        /** Whether {@link #limits} was called; without it the pools have no hard limit. */
        boolean limited;
        long maxConnections;
        int pendingLimit = 4096;

        Builder(final Strategy strategy) {
            this.strategy = strategy;
            this.name = strategy.name().toLowerCase(java.util.Locale.ROOT) + "-table";
        }

        /**
         * Names the table (and the pool and domain it creates).
         *
         * @param name the name, not empty (default: the strategy's name in lower case,
         *        followed by {@code -table})
         * @return this builder
         * @throws NullPointerException if {@code name} is null
         * @throws IllegalArgumentException if {@code name} is empty
         */
        public Builder name(final String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("name must not be empty, was \"\"");
            }
            this.name = name;
            return this;
        }

        /**
         * The number of hash buckets to start with, rounded up to a power of two.
         *
         * @param n 1 to {@value #MAX_BUCKETS} (default 1024)
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder initialBuckets(final int n) {
            if (n < 1 || n > MAX_BUCKETS) {
                throw outOfRange("initialBuckets", n, 1, MAX_BUCKETS);
            }
            this.initialBuckets = n;
            return this;
        }

        /**
         * The chain length that makes a lockless table grow: an insert that finds its chain
         * this long or longer, or the table holding more than one block per bucket, doubles
         * the bucket array.
         *
         * @param n 2 to {@value Integer#MAX_VALUE} (default 8)
         * @return this builder
         * @throws IllegalArgumentException if below 2
         */
        public Builder maxChain(final int n) {
            if (n < 2) {
                throw outOfRange("maxChain", n, 2, Integer.MAX_VALUE);
            }
            this.maxChain = n;
            return this;
        }

        /**
         * Bounds the blocks a pooled table may hold, and the removed blocks awaiting their
         * grace period, whatever the fill.
         * <ul>
         * <li>Pending (SMR strategies): at every instant at most {@code pendingLimit} removed
         *     blocks wait for their grace period in the pool's batches
         *     ({@link Stats#blocksPending()} never exceeds it, with 10 connections present or
         *     10 million). When a removal would queue a batch beyond it, the removing thread
         *     first makes the oldest batch expire: it waits for the readers of that batch,
         *     expedited (the domain's write sequence moves to the batch's goal at once, and a
         *     lazy domain pays its process-wide barrier now instead of at the next tick),
         *     spinning briefly and then parking so that a preempted reader gets the CPU back.
         *     The table's policy is to wait ({@link org.smr4j.SmrPool.LimitPolicy#WAIT}); it
         *     never refuses a removal. The only slack: a removed block is in no batch yet while
         *     it sits in the FREE magazine its pool's per-thread cache is filling, or in the
         *     full magazine a waiting remover holds; that is at most one magazine
         *     ({@code min(32, pendingLimit)} blocks) per cache (each owned cache and each
         *     stripe of the pool; see {@link org.smr4j.SmrPool.Builder#pendingLimit}) plus one
         *     per thread waiting in a removal.</li>
         * <li>Total: the pool's hard limit is {@code maxConnections + pendingLimit}; an insert
         *     at it waits for the oldest batch's grace period (SMR) or for a put
         *     (pserialize).</li>
         * </ul>
         * {@link Strategy#PSERIALIZE} holds no removed block back (a freed block is reusable at
         * once, {@code PR_PSERIALIZE}), so only the total applies. Without limits the SMR pool
         * creates blocks rather than wait when readers hold the grace period back, so pending
         * memory is bounded only by how long readers stay inside; see
         * {@code docs/PERFORMANCE.md}. The lock and {@code ConcurrentHashMap} strategies
         * ignore this: the garbage collector owns their removed blocks.
         *
         * @param maxConnections the connections the table is sized for, 1 or more; with
         *        {@code pendingLimit} it makes the pool's hard limit (it is not a cap on
         *        connections by itself: with nothing pending, more may be present)
         * @param pendingLimit the most removed blocks awaiting their grace period (SMR), and the
         *        blocks the pool may hold beyond {@code maxConnections}; 1 or more (default 4096)
         * @return this builder
         * @throws IllegalArgumentException if either is below 1, or their sum exceeds
         *         {@link #MAX_BLOCKS}
         */
        public Builder limits(final long maxConnections, final int pendingLimit) {
            if (pendingLimit < 1 || pendingLimit > MAX_BLOCKS - 1) {
                throw outOfRange("pendingLimit", pendingLimit, 1, MAX_BLOCKS - 1);
            }
            if (maxConnections < 1 || maxConnections > MAX_BLOCKS - pendingLimit) {
                throw new IllegalArgumentException("maxConnections must be in [1, " + (MAX_BLOCKS - pendingLimit)
                        + "] with pendingLimit " + pendingLimit + " (maxConnections + pendingLimit <= MAX_BLOCKS = "
                        + MAX_BLOCKS + "), was " + maxConnections);
            }
            this.limited = true;
            this.maxConnections = maxConnections;
            this.pendingLimit = pendingLimit;
            return this;
        }

        /**
         * Builds the table.
         *
         * @return a new table
         */
        public ConnectionTable build() {
            final AbstractConnectionTable table = switch (strategy) {
                case SMR_DEFAULT, SMR_LAZY -> new SmrConnectionTable(this);
                case PSERIALIZE -> new PserializeConnectionTable(this);
                case RW_LOCK -> new LockedConnectionTable(this);
                case CONCURRENT_HASH_MAP -> new ConcurrentMapConnectionTable(this);
            };
            return table.observe();
        }

        /** {@code name must be in [lo, hi], was value}. */
        static IllegalArgumentException outOfRange(final String name, final long value, final long lo, final long hi) {
            return new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], was " + value);
        }
    }
}
