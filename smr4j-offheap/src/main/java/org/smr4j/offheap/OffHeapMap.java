package org.smr4j.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.security.SecureRandom;
import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import javax.management.ObjectName;
import org.smr4j.Smr;

/**
 * A {@link ConcurrentMap} whose keys and values live in {@link SmrArena} memory, encoded by a
 * {@link Codec} each: the heap holds only the map's few dozen objects, whatever its size, and
 * the garbage collector never sees the stored data.
 *
 * <h2>Example: an off-heap cache</h2>
 * <pre>{@code
 * try (OffHeapMap<String, byte[]> cache =
 *          OffHeapMap.builder("pages", Codec.STRING, Codec.BYTES).build()) {
 *     cache.put("/index.html", body);
 *     byte[] copy = cache.get("/index.html");                    // decoded copy
 *     Integer len = cache.read("/index.html", v -> (int) v.byteSize()); // zero-copy, inside a section
 * }
 * }</pre>
 *
 * <h2>Reads</h2>
 * Lookups take no lock: they enter a read section of the arena's domain, hash the key's
 * encoding with a per-map secret (SipHash-1-3, so that nobody who does not know the secret can
 * choose colliding keys), walk the bucket's chain comparing stored key bytes, decode (or, with
 * {@link #read}, hand to a function) the value, and exit. Writers never change an entry a
 * reader may see: an update links a new entry in place of the old, and the old one is freed
 * through the arena, which reuses it only once every reader that could have found it has left
 * its section. Readers therefore never see a torn or foreign value and never touch freed
 * memory.
 *
 * <h2>Writes</h2>
 * The map is split into {@value #SEGMENTS_DEFAULT} segments by the high bits of the hash; writes
 * to one segment serialise on its lock and encode the new entry before taking it. A segment
 * grows (doubles) when it holds more than 3/4 of its buckets: the writer copies every entry
 * into a new table and publishes it, readers still walking the old table finish there, and the
 * old entries and buckets are freed through the arena. Tables never shrink; {@link #clear()}
 * replaces them.
 *
 * <h2>Contract notes</h2>
 * <ul>
 *   <li>Null keys and values are refused ({@link NullPointerException} naming the parameter),
 *       as by every {@code ConcurrentMap}; so are null queries. An {@code Object} of the wrong
 *       type passed to {@code get}, {@code containsKey} or {@code remove} is simply not found.</li>
 *   <li>Keys compare by their encoded bytes (key codecs are canonical, see {@link Codec}), and
 *       so do values in {@code replace(k, old, new)}, {@code remove(k, v)} and
 *       {@code containsValue}: with {@link Codec#BYTES} values, arrays of equal content match.
 *       {@code equals} and {@code hashCode} of the map are {@link AbstractMap}'s, over decoded
 *       values, so {@code byte[]} values compare by identity there, as in any {@code Map}.</li>
 *   <li>Iteration is weakly consistent, as {@code ConcurrentHashMap}'s: iterators never throw
 *       {@link java.util.ConcurrentModificationException}, return every mapping present for
 *       the whole iteration exactly once, and may or may not show concurrent changes. Keys and
 *       values returned are decoded copies; {@code Entry.setValue} writes through.</li>
 *   <li>{@code size()} is the sum of the segments' counts, exact when no write runs.</li>
 *   <li>After {@link #close()} every method but {@code close()} throws
 *       {@link IllegalStateException} naming the map, the views and their iterators included;
 *       {@link #isClosed()} and {@code toString()} (which then says "closed") are the two
 *       diagnostics that still answer.</li>
 *   <li>Allocation: {@code get} decodes (allocates the value); {@link #read} allocates nothing
 *       but the key's encoding; {@link #set} and {@link #delete} return no old value and allocate
 *       nothing on the heap but the key's encoding ({@code Codec.LONG} keys: nothing at all).</li>
 * </ul>
 *
 * <h2>Memory consistency effects</h2>
 * As {@code ConcurrentHashMap}: actions in a thread before placing a key and value into the map
 * <i>happen-before</i> actions after the access or removal of that mapping in another thread.
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public final class OffHeapMap<K, V> extends AbstractMap<K, V> implements ConcurrentMap<K, V>, AutoCloseable {
    /*
     * Overview
     * --------
     * A chained hash table in arena memory, split into segments (JDK 7's ConcurrentHashMap
     * layout, with SMR in place of the garbage collector):
     *
     *   segments[hash >>> segShift] -> Table (heap: handle, segment, base, mask)
     *        buckets (arena block): [head0][head1]...     head -> Entry -> Entry -> 0
     *
     * Entries are immutable once published except for their next link (EntryLayout). Writers
     * hold the segment lock; readers hold none and are inside a section of arena.smr().
     * Invariants (checkInvariants()):
     *  1. Every entry reachable from the current table of a segment hashes to that segment and
     *     to its bucket; no two reachable entries have equal key bytes.
     *  2. count == number of reachable entries of the segment.
     *  3. An entry (or bucket array) is freed only after it was unreachable from the current
     *     table: unlinked, or its whole table replaced; the arena defers the reuse past every
     *     section that might still be walking it.
     * Linearization: put/remove/replace at the release store that links or unlinks (under
     * the lock); get at its acquire load of the link that reached (or ended) the chain.
     * Growth: the new table is built from copies of every entry, so the old table's links
     * never change after the new table is published; a reader that loaded the old table
     * finishes on a frozen, consistent copy. Its lookup may then miss a write that completed
     * while it walked, which is linearizable (the write overlapped the lookup).
     * Iteration: per segment, a cursor c over the table size n0 seen when the segment's
     * iteration began; step c visits, in one section, buckets c, c + n0, c + 2 n0, ... of the
     * current table (tables only double, so those hold exactly the hashes congruent to c
     * modulo n0), so a mapping present throughout is returned exactly once across growth.
     */

    /** Segments of a map: writers to different segments never contend. */
    public static final int SEGMENTS_DEFAULT = 16;
    /** Buckets per segment of a new map (a power of two). */
    static final int INITIAL_BUCKETS = 8;

    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final Codec<K> keys;
    private final Codec<V> values;
    private final SmrArena arena;
    private final boolean ownsArena;
    private final Smr smr;
    private final Seg[] segments;
    private final int segShift;
    /** The per-map SipHash key. */
    private final long k0;
    private final long k1;
    private final boolean longKeys;
    /** Set once by close(). Accessed through {@link #CLOSED}. */
    @SuppressWarnings("UnusedVariable") // read and written only through CLOSED, which Error Prone does not follow
    private boolean closed;
    private volatile ObjectName mbeanName;
    /** Membership of the periodic JFR statistics (OffHeapPeriodic); set by build(), left by close(). */
    private volatile java.lang.ref.WeakReference<OffHeapMap<?, ?>> periodic;

    /** One segment's table: an arena block of bucket heads. Immutable. */
    private static final class Table {
        final long handle;
        final MemorySegment seg;
        final long base;
        final int mask;

        Table(final long handle, final MemorySegment seg, final long base, final int mask) {
            this.handle = handle;
            this.seg = seg;
            this.base = base;
            this.mask = mask;
        }
    }

    /** One segment: a lock, the current table, the count. */
    private static final class Seg extends ReentrantLock {
        private static final long serialVersionUID = 1L;
        /** Accessed through {@link #TABLE}. Written under the lock. */
        transient Table table;
        /** Written under the lock with release stores; read by size() with acquire loads. */
        int count;
        // Writer-side statistics, under the lock.
        long puts;
        long removes;
        long resizes;

        Table tableAcquire() {
            // ORDER: acquire; pairs with the release in setTableRelease: the bucket array is
            // initialised (zeroed, filled) before a reader can reach it.
            return (Table) TABLE.getAcquire(this);
        }

        void setTableRelease(final Table t) {
            TABLE.setRelease(this, t);
        }

        int countAcquire() {
            return (int) COUNT.getAcquire(this);
        }

        void setCountRelease(final int n) {
            COUNT.setRelease(this, n);
        }

        private static final VarHandle TABLE;
        private static final VarHandle COUNT;

        static {
            try {
                final MethodHandles.Lookup l = MethodHandles.lookup();
                TABLE = l.findVarHandle(Seg.class, "table", Table.class);
                COUNT = l.findVarHandle(Seg.class, "count", int.class);
            } catch (final ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    private OffHeapMap(final Builder<K, V> b) {
        this.name = b.name;
        this.keys = b.keys;
        this.values = b.values;
        this.ownsArena = b.arena == null;
        this.arena = ownsArena ? SmrArena.builder(b.name).jmx(b.jmx).build() : b.arena;
        this.smr = arena.smr();
        this.longKeys = keys instanceof Codecs.Int64;
        final SecureRandom rnd = Secret.RANDOM;
        this.k0 = rnd.nextLong();
        this.k1 = rnd.nextLong();
        this.segments = new Seg[b.segments];
        this.segShift = 64 - Integer.numberOfTrailingZeros(b.segments);
        try {
            for (int i = 0; i < segments.length; i++) {
                final Seg s = new Seg();
                s.setTableRelease(newTable(INITIAL_BUCKETS));
                segments[i] = s;
            }
        } catch (final RuntimeException | Error e) {
            if (ownsArena) {
                arena.close();
            }
            throw e;
        }
    }

    /** Holder: one SecureRandom per JVM, created on first use. */
    private static final class Secret {
        static final SecureRandom RANDOM = new SecureRandom();
    }

    /**
     * Starts building a map.
     *
     * @param name the map's name, used in messages, statistics and its MBean name
     * @param keys the key codec; must be {@linkplain Codec#keyable() keyable}
     * @param values the value codec
     * @param <K> the key type
     * @param <V> the value type
     * @return a builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is empty, or {@code keys} is not keyable
     *         ({@link Codec#BYTES})
     */
    public static <K, V> Builder<K, V> builder(final String name, final Codec<K> keys, final Codec<V> values) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(values, "values");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("name must not be empty, was \"\"");
        }
        if (!keys.keyable()) {
            throw new IllegalArgumentException("map '" + name + "': builder(keys " + keys
                    + "): not a key codec (its values do not compare by content, as byte[] does not)");
        }
        return new Builder<>(name, keys, values);
    }

    /**
     * Returns the map's name.
     *
     * @return the name
     * @throws IllegalStateException if the map is closed
     */
    public String name() {
        checkOpen("name()");
        return name;
    }

    /**
     * Returns the arena the map's entries live in (its own, or the one given to the builder).
     *
     * @return the arena
     * @throws IllegalStateException if the map is closed
     */
    public SmrArena arena() {
        checkOpen("arena()");
        return arena;
    }

    // ------------------------------------------------------------------ hashing, encoding

    private long hashOf(final byte[] kb) {
        return SipHash.hash(k0, k1, kb);
    }

    private byte[] keyBytes(final K key) {
        final byte[] kb = Codecs.toBytes(keys, key);
        if (kb.length > EntryLayout.MAX_PAYLOAD) {
            throw new IllegalArgumentException(describe("key of " + kb.length + " bytes out of range [0, "
                    + EntryLayout.MAX_PAYLOAD + "]"));
        }
        return kb;
    }

    private Seg segmentFor(final long h) {
        return segments[segShift == 64 ? 0 : (int) (h >>> segShift)];
    }

    /** The key as K, or null if it cannot be one (wrong type); throws on null. */
    private K asKey(final Object key, final String op) {
        if (key == null) {
            throw new NullPointerException(describe(op + ": key is null"));
        }
        return keys.type().isInstance(key) ? keys.type().cast(key) : null;
    }

    // ------------------------------------------------------------------ reads

    /**
     * Returns a decoded copy of the value mapped to {@code key}, or null.
     *
     * <p>Progress: lock-free (a read section, no lock).
     *
     * @param key the key
     * @return the value, or null if absent
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public V get(final Object key) {
        checkOpen("get()");
        final K k = asKey(key, "get(key)");
        if (k == null) {
            return null;
        }
        return lookup(k, null);
    }

    /**
     * Hands the value mapped to {@code key} to {@code reader} without copying it: a read-only
     * segment of the stored bytes, valid only during the call, which runs inside a read section
     * (so it must be short, must not block, and must copy what it keeps).
     *
     * @param key the key
     * @param reader what to do with the value's bytes
     * @param <R> the result type
     * @return the reader's result, or null (without calling it) if the key is absent
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the map is closed
     */
    public <R> R read(final K key, final Function<? super MemorySegment, ? extends R> reader) {
        checkOpen("read()");
        if (key == null) {
            throw new NullPointerException(describe("read(key, reader): key is null"));
        }
        if (reader == null) {
            throw new NullPointerException(describe("read(key, reader): reader is null"));
        }
        @SuppressWarnings("unchecked")
        final Function<? super MemorySegment, ?> f = reader;
        @SuppressWarnings("unchecked")
        final R r = (R) lookup(key, f);
        return r;
    }

    /**
     * The lookup of get (fn null: decode the value) and read (fn applied to the value's bytes).
     * Returns the decoded value or fn's result, or null when absent.
     */
    private Object lookupRaw(final K key, final Function<? super MemorySegment, ?> fn) {
        final byte[] kb;
        final long h;
        if (longKeys) {
            kb = null;
            h = SipHash.hash(k0, k1, (Long) key);
        } else {
            kb = keyBytes(key);
            h = hashOf(kb);
        }
        final Seg sg = segmentFor(h);
        final Smr.Reader r = smr.reader();
        r.enter();
        try {
            final Table t = sg.tableAcquire();
            long e = EntryLayout.bucketAcquire(t.seg, t.base, (int) h & t.mask);
            while (e != 0) {
                final MemorySegment s = arena.segmentOf(e);
                final long o = SmrArena.offsetOf(e);
                if (EntryLayout.hash(s, o) == h && keyMatches(s, o, kb, (longKeys ? (Long) key : 0L))) {
                    final int kl = EntryLayout.keyLen(s, o);
                    final int vl = EntryLayout.valueLen(s, o);
                    final MemorySegment v = s.asSlice(o + EntryLayout.KEY + kl, vl).asReadOnly();
                    return fn == null ? values.decode(v) : fn.apply(v);
                }
                e = EntryLayout.nextAcquire(s, o);
            }
            return null;
        } finally {
            r.exit();
        }
    }

    @SuppressWarnings("unchecked")
    private V lookup(final K key, final Function<? super MemorySegment, ?> fn) {
        return (V) lookupRaw(key, fn);
    }

    private boolean keyMatches(final MemorySegment s, final long o, final byte[] kb, final long longKey) {
        final int kl = EntryLayout.keyLen(s, o);
        if (kb == null) {
            return kl == Long.BYTES && s.get(LONG_LE, o + EntryLayout.KEY) == longKey;
        }
        if (kl != kb.length) {
            return false;
        }
        // Eight bytes at a time (keys are short; this beats the bulk mismatch's setup), then the tail.
        final long base = o + EntryLayout.KEY;
        int i = 0;
        for (; i + Long.BYTES <= kl; i += Long.BYTES) {
            if (s.get(LONG_LE, base + i) != (long) KEY_WORD.get(kb, i)) {
                return false;
            }
        }
        for (; i < kl; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, base + i) != kb[i]) {
                return false;
            }
        }
        return true;
    }

    private static final VarHandle KEY_WORD = MethodHandles.byteArrayViewVarHandle(long[].class,
            java.nio.ByteOrder.LITTLE_ENDIAN);

    /**
     * Returns whether {@code key} is mapped.
     *
     * @param key the key
     * @return true if present
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public boolean containsKey(final Object key) {
        checkOpen("containsKey()");
        final K k = asKey(key, "containsKey(key)");
        return k != null && lookupRaw(k, v -> true) != null;
    }

    /**
     * Returns whether some key maps to a value whose encoding equals {@code value}'s. Visits
     * every entry (weakly consistent).
     *
     * @param value the value
     * @return true if found
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public boolean containsValue(final Object value) {
        checkOpen("containsValue()");
        if (value == null) {
            throw new NullPointerException(describe("containsValue(value): value is null"));
        }
        if (!values.type().isInstance(value)) {
            return false;
        }
        final byte[] vb = Codecs.toBytes(values, values.type().cast(value));
        for (final Seg sg : segments) {
            final Smr.Reader r = smr.reader();
            r.enter();
            try {
                final Table t = sg.tableAcquire();
                for (int i = 0; i <= t.mask; i++) {
                    for (long e = EntryLayout.bucketAcquire(t.seg, t.base, i); e != 0; ) {
                        final MemorySegment s = arena.segmentOf(e);
                        final long o = SmrArena.offsetOf(e);
                        if (valueMatches(s, o, vb)) {
                            return true;
                        }
                        e = EntryLayout.nextAcquire(s, o);
                    }
                }
            } finally {
                r.exit();
            }
        }
        return false;
    }

    private static boolean valueMatches(final MemorySegment s, final long o, final byte[] vb) {
        final int kl = EntryLayout.keyLen(s, o);
        final int vl = EntryLayout.valueLen(s, o);
        final long vo = o + EntryLayout.KEY + kl;
        return vl == vb.length && MemorySegment.mismatch(s, vo, vo + vl, MemorySegment.ofArray(vb), 0, vl) < 0;
    }

    /**
     * Returns the number of mappings: the sum of the segments' counts (exact when no write runs).
     *
     * @return the size, at most {@link Integer#MAX_VALUE}
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public int size() {
        checkOpen("size()");
        long n = 0;
        for (final Seg sg : segments) {
            n += sg.countAcquire();
        }
        return (int) Math.min(n, Integer.MAX_VALUE);
    }

    /**
     * Returns whether the map is empty.
     *
     * @return true if no mapping
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public boolean isEmpty() {
        checkOpen("isEmpty()");
        for (final Seg sg : segments) {
            if (sg.countAcquire() != 0) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ writes

    /** What a write does when it finds the key (or not). */
    private enum Op {
        /** put: always store. */
        PUT,
        /** putIfAbsent: store only if absent. */
        IF_ABSENT,
        /** replace(k, v): store only if present. */
        IF_PRESENT,
        /** replace(k, old, v): store only if present with value bytes equal to expected. */
        IF_EQUALS,
        /** remove(k): unlink if present. */
        REMOVE,
        /** remove(k, v): unlink if present with value bytes equal to expected. */
        REMOVE_IF_EQUALS
    }

    /** Results of a write that does not decode the old value: no heap object per call. */
    private static final Object UNCHANGED = new Object();
    /** The map changed: an insert, or a removal. */
    private static final Object CHANGED = new Object();
    /** The map changed by replacing an entry. */
    private static final Object REPLACED = new Object();

    /**
     * The one write path. Encodes the new entry (if any) before locking; under the segment
     * lock finds the key, links or unlinks; after unlocking decodes the old value (if asked)
     * and frees what left the map. Returns the decoded old value (or null) when {@code wantOld},
     * else {@link #UNCHANGED}, {@link #CHANGED} or {@link #REPLACED}.
     */
    private Object write(final K key, final V value, final byte[] expected, final Op op, final boolean wantOld) {
        final byte[] kb;
        final long h;
        if (longKeys) {
            kb = null;
            h = SipHash.hash(k0, k1, (Long) key);
        } else {
            kb = keyBytes(key);
            h = hashOf(kb);
        }
        final long fresh = value == null ? 0 : newEntry(kb, key, h, value);
        final Seg sg = segmentFor(h);
        long old = 0;
        boolean linked = false;
        boolean changed = false;
        sg.lock();
        try {
            if (closedAcquire()) {
                throw closedException(op.name().toLowerCase(java.util.Locale.ROOT) + "()");
            }
            final Table t = sg.table;
            final int i = (int) h & t.mask;
            long prev = 0;
            long e = EntryLayout.bucketAcquire(t.seg, t.base, i);
            while (e != 0) {
                final MemorySegment s = arena.segmentOf(e);
                final long o = SmrArena.offsetOf(e);
                if (EntryLayout.hash(s, o) == h && keyMatches(s, o, kb, longKeys ? (Long) key : 0L)) {
                    break;
                }
                prev = e;
                e = EntryLayout.nextAcquire(s, o);
            }
            if (e != 0) {
                final MemorySegment s = arena.segmentOf(e);
                final long o = SmrArena.offsetOf(e);
                final boolean matches = expected == null || valueMatches(s, o, expected);
                final boolean act = switch (op) {
                    case PUT, IF_PRESENT, REMOVE -> true;
                    case IF_EQUALS, REMOVE_IF_EQUALS -> matches;
                    case IF_ABSENT -> false;
                };
                if (act) {
                    final long next = EntryLayout.nextAcquire(s, o);
                    final long replacement;
                    if (fresh != 0) {
                        EntryLayout.setNextRelease(arena.segmentOf(fresh), SmrArena.offsetOf(fresh), next);
                        replacement = fresh;
                        linked = true;
                        sg.puts++;
                    } else {
                        replacement = next;
                        sg.setCountRelease(sg.count - 1);
                        sg.removes++;
                    }
                    link(t, i, prev, replacement);
                    old = e;
                    changed = true;
                } else if (op == Op.IF_ABSENT && wantOld) {
                    // putIfAbsent found the key: decode while the lock keeps the entry linked
                    // (only writers of this segment could free it, and they need the lock).
                    return decodeValue(e);
                }
            } else if (fresh != 0 && (op == Op.PUT || op == Op.IF_ABSENT)) {
                EntryLayout.setNextRelease(arena.segmentOf(fresh), SmrArena.offsetOf(fresh),
                        EntryLayout.bucketAcquire(t.seg, t.base, i));
                EntryLayout.setBucketRelease(t.seg, t.base, i, fresh);
                linked = true;
                sg.puts++;
                sg.setCountRelease(sg.count + 1);
                changed = true;
                if (sg.count > (t.mask + 1) - ((t.mask + 1) >>> 2)) {
                    grow(sg, t);
                }
            }
        } finally {
            sg.unlock();
            if (fresh != 0 && !linked) {
                discard(fresh); // not stored (absent, mismatch, present for putIfAbsent, or an exception)
            }
        }
        if (old == 0) {
            return wantOld ? null : changed ? CHANGED : UNCHANGED;
        }
        // The old entry is unlinked but not yet freed: nobody else frees it, so it is ours to
        // read until the free below.
        final Object result = wantOld ? decodeValue(old) : fresh != 0 ? REPLACED : CHANGED;
        arena.freeHandle(old);
        return result;
    }

    @SuppressWarnings("unchecked")
    private V writeOld(final K key, final V value, final Op op) {
        return (V) write(key, value, null, op, true);
    }

    /** Frees a block that was never published; tolerates a concurrently closed arena. */
    private void discard(final long h) {
        if (!arena.isClosed()) {
            arena.freeHandle(h);
        }
    }

    private V decodeValue(final long e) {
        final MemorySegment s = arena.segmentOf(e);
        final long o = SmrArena.offsetOf(e);
        final int kl = EntryLayout.keyLen(s, o);
        return values.decode(s.asSlice(o + EntryLayout.KEY + kl, EntryLayout.valueLen(s, o)).asReadOnly());
    }

    private void link(final Table t, final int i, final long prev, final long target) {
        if (prev == 0) {
            EntryLayout.setBucketRelease(t.seg, t.base, i, target);
        } else {
            EntryLayout.setNextRelease(arena.segmentOf(prev), SmrArena.offsetOf(prev), target);
        }
    }

    /** Allocates and fills an unpublished entry (no lock held). */
    private long newEntry(final byte[] kb, final K key, final long h, final V value) {
        final long vl = values.encodedSize(value);
        final int kl = kb == null ? Long.BYTES : kb.length;
        if (vl < 0 || vl > EntryLayout.MAX_PAYLOAD - kl) {
            throw new IllegalArgumentException(describe("value of " + vl + " encoded bytes out of range [0, "
                    + (EntryLayout.MAX_PAYLOAD - kl) + "] (with a key of " + kl + " bytes)"));
        }
        final long e = arena.allocateHandle(EntryLayout.HEADER + kl + vl, 16);
        try {
            final MemorySegment s = arena.segmentOf(e);
            final long o = SmrArena.offsetOf(e);
            s.set(ValueLayout.JAVA_LONG, o + EntryLayout.NEXT, 0L);
            s.set(ValueLayout.JAVA_LONG, o + EntryLayout.HASH, h);
            s.set(ValueLayout.JAVA_INT, o + EntryLayout.KEY_LEN, kl);
            s.set(ValueLayout.JAVA_INT, o + EntryLayout.VALUE_LEN, (int) vl);
            if (kb == null) {
                s.set(LONG_LE, o + EntryLayout.KEY, (Long) key);
            } else {
                MemorySegment.copy(kb, 0, s, ValueLayout.JAVA_BYTE, o + EntryLayout.KEY, kl);
            }
            values.encode(value, s.asSlice(o + EntryLayout.KEY + kl, vl));
            return e;
        } catch (final RuntimeException | Error x) {
            discard(e);
            throw x;
        }
    }

    /** Lock held: doubles the segment's table by copying every entry; frees the old ones after. */
    private void grow(final Seg sg, final Table t) {
        final int n = t.mask + 1;
        if (n >= 1 << 30) {
            return;
        }
        final Table nt = newTable(n * 2);
        final List<Long> copies = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                for (long e = EntryLayout.bucketAcquire(t.seg, t.base, i); e != 0; ) {
                    final MemorySegment s = arena.segmentOf(e);
                    final long o = SmrArena.offsetOf(e);
                    final long size = EntryLayout.HEADER + EntryLayout.keyLen(s, o) + EntryLayout.valueLen(s, o);
                    final long c = arena.allocateHandle(size, 16);
                    copies.add(c);
                    final MemorySegment cs = arena.segmentOf(c);
                    final long co = SmrArena.offsetOf(c);
                    MemorySegment.copy(s, o, cs, co, size);
                    final int j = (int) EntryLayout.hash(s, o) & nt.mask;
                    // Not yet published: plain-equivalent stores; the table's release orders them.
                    EntryLayout.setNextRelease(cs, co, EntryLayout.bucketAcquire(nt.seg, nt.base, j));
                    EntryLayout.setBucketRelease(nt.seg, nt.base, j, c);
                    e = EntryLayout.nextAcquire(s, o);
                }
            }
        } catch (final RuntimeException | Error x) {
            // Out of memory under a FAIL policy: keep the old table, give back the copies.
            for (final long c : copies) {
                arena.freeHandle(c);
            }
            arena.freeHandle(nt.handle);
            return;
        }
        sg.setTableRelease(nt); // ORDER: release; the copies and buckets before the table
        sg.resizes++;
        freeTable(t);
    }

    /** Frees every entry of {@code t} and its bucket array (t is unreachable from the segment). */
    private void freeTable(final Table t) {
        for (int i = 0; i <= t.mask; i++) {
            for (long e = EntryLayout.bucketAcquire(t.seg, t.base, i); e != 0; ) {
                final long next = EntryLayout.nextAcquire(arena.segmentOf(e), SmrArena.offsetOf(e));
                arena.freeHandle(e);
                e = next;
            }
        }
        arena.freeHandle(t.handle);
    }

    private Table newTable(final int buckets) {
        final long h = arena.allocateHandle((long) buckets << 3, 8);
        final MemorySegment s = arena.segmentOf(h);
        final long base = SmrArena.offsetOf(h);
        s.asSlice(base, (long) buckets << 3).fill((byte) 0);
        return new Table(h, s, base, buckets - 1);
    }

    private void checkValue(final Object value, final String op) {
        if (value == null) {
            throw new NullPointerException(describe(op + ": value is null"));
        }
    }

    private K checkKey(final K key, final String op) {
        if (key == null) {
            throw new NullPointerException(describe(op + ": key is null"));
        }
        return key;
    }

    /**
     * Maps {@code key} to {@code value}, returning the previous value (decoded) or null.
     *
     * @param key the key
     * @param value the value
     * @return the previous value, or null
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the encoded key and value exceed 2<sup>31</sup> - 88 bytes
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public V put(final K key, final V value) {
        checkOpen("put()");
        checkKey(key, "put(key, value)");
        checkValue(value, "put(key, value)");
        return writeOld(key, value, Op.PUT);
    }

    /**
     * Maps {@code key} to {@code value} like {@link #put}, without decoding the previous value:
     * allocates nothing on the heap but the key's encoding.
     *
     * @param key the key
     * @param value the value
     * @return true if a previous mapping was replaced
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the encoded key and value are too large
     * @throws IllegalStateException if the map is closed
     */
    public boolean set(final K key, final V value) {
        checkOpen("set()");
        checkKey(key, "set(key, value)");
        checkValue(value, "set(key, value)");
        return write(key, value, null, Op.PUT, false) == REPLACED;
    }

    /**
     * Removes {@code key}'s mapping like {@link #remove(Object)}, without decoding the value.
     *
     * @param key the key
     * @return true if a mapping was removed
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalStateException if the map is closed
     */
    public boolean delete(final K key) {
        checkOpen("delete()");
        checkKey(key, "delete(key)");
        return write(key, null, null, Op.REMOVE, false) == CHANGED;
    }

    /**
     * Maps {@code key} to {@code value} unless it is mapped already.
     *
     * @param key the key
     * @param value the value
     * @return the present value (decoded), or null if {@code value} was stored
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public V putIfAbsent(final K key, final V value) {
        checkOpen("putIfAbsent()");
        checkKey(key, "putIfAbsent(key, value)");
        checkValue(value, "putIfAbsent(key, value)");
        return writeOld(key, value, Op.IF_ABSENT);
    }

    /**
     * Removes {@code key}'s mapping.
     *
     * @param key the key
     * @return the removed value (decoded), or null
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public V remove(final Object key) {
        checkOpen("remove()");
        final K k = asKey(key, "remove(key)");
        return k == null ? null : writeOld(k, null, Op.REMOVE);
    }

    /**
     * Removes {@code key}'s mapping if its value's encoding equals {@code value}'s.
     *
     * @param key the key
     * @param value the expected value
     * @return true if removed
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public boolean remove(final Object key, final Object value) {
        checkOpen("remove()");
        final K k = asKey(key, "remove(key, value)");
        checkValue(value, "remove(key, value)");
        if (k == null || !values.type().isInstance(value)) {
            return false;
        }
        return write(k, null, Codecs.toBytes(values, values.type().cast(value)), Op.REMOVE_IF_EQUALS, false) == CHANGED;
    }

    /**
     * Replaces {@code key}'s value if its encoding equals {@code oldValue}'s.
     *
     * @param key the key
     * @param oldValue the expected value
     * @param newValue the new value
     * @return true if replaced
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public boolean replace(final K key, final V oldValue, final V newValue) {
        checkOpen("replace()");
        checkKey(key, "replace(key, oldValue, newValue)");
        if (oldValue == null) {
            throw new NullPointerException(describe("replace(key, oldValue, newValue): oldValue is null"));
        }
        if (newValue == null) {
            throw new NullPointerException(describe("replace(key, oldValue, newValue): newValue is null"));
        }
        return write(key, newValue, Codecs.toBytes(values, oldValue), Op.IF_EQUALS, false) == REPLACED;
    }

    /**
     * Replaces {@code key}'s value if it is mapped.
     *
     * @param key the key
     * @param value the new value
     * @return the previous value (decoded), or null if absent (nothing stored)
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public V replace(final K key, final V value) {
        checkOpen("replace()");
        checkKey(key, "replace(key, value)");
        checkValue(value, "replace(key, value)");
        return writeOld(key, value, Op.IF_PRESENT);
    }

    /**
     * Removes every mapping: each segment's table is replaced by an empty one and the old
     * entries are freed through the arena. Weakly consistent with concurrent writes.
     *
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public void clear() {
        checkOpen("clear()");
        for (final Seg sg : segments) {
            final Table fresh = newTable(INITIAL_BUCKETS);
            final Table old;
            sg.lock();
            try {
                old = sg.table;
                sg.setTableRelease(fresh);
                sg.removes += sg.count;
                sg.setCountRelease(0);
            } finally {
                sg.unlock();
            }
            freeTable(old);
        }
    }

    // ------------------------------------------------------------------ views

    /**
     * Returns a weakly consistent view of the mappings; see the class documentation.
     *
     * @return the entry set
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public Set<Map.Entry<K, V>> entrySet() {
        checkOpen("entrySet()");
        return new AbstractSet<>() {
            @Override
            public Iterator<Map.Entry<K, V>> iterator() {
                return new Iter<>(e -> e);
            }

            @Override
            public int size() {
                return OffHeapMap.this.size();
            }

            @Override
            public boolean contains(final Object o) {
                if (!(o instanceof Map.Entry<?, ?> e) || e.getKey() == null || e.getValue() == null) {
                    return false;
                }
                final K k = asKey(e.getKey(), "entrySet().contains(entry)");
                if (k == null || !values.type().isInstance(e.getValue())) {
                    return false;
                }
                final byte[] vb = Codecs.toBytes(values, values.type().cast(e.getValue()));
                final Object hit = lookupRaw(k, seg -> (seg.byteSize() == vb.length
                        && MemorySegment.mismatch(seg, 0, vb.length, MemorySegment.ofArray(vb), 0, vb.length) < 0)
                        ? Boolean.TRUE : Boolean.FALSE);
                return hit == Boolean.TRUE;
            }

            @Override
            public boolean remove(final Object o) {
                return o instanceof Map.Entry<?, ?> e && e.getKey() != null && e.getValue() != null
                        && OffHeapMap.this.remove(e.getKey(), e.getValue());
            }

            @Override
            public void clear() {
                OffHeapMap.this.clear();
            }
        };
    }

    /**
     * Returns a weakly consistent view of the keys.
     *
     * @return the key set
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public Set<K> keySet() {
        checkOpen("keySet()");
        return new AbstractSet<>() {
            @Override
            public Iterator<K> iterator() {
                return new Iter<>(Map.Entry::getKey);
            }

            @Override
            public int size() {
                return OffHeapMap.this.size();
            }

            @Override
            public boolean contains(final Object o) {
                return o != null && containsKey(o);
            }

            @Override
            public boolean remove(final Object o) {
                return o != null && deleteKey(o);
            }

            @Override
            public void clear() {
                OffHeapMap.this.clear();
            }
        };
    }

    private boolean deleteKey(final Object o) {
        final K k = asKey(o, "keySet().remove(key)");
        return k != null && delete(k);
    }

    /**
     * Returns a weakly consistent view of the values (decoded copies).
     *
     * @return the values
     * @throws IllegalStateException if the map is closed
     */
    @Override
    public Collection<V> values() {
        checkOpen("values()");
        return new AbstractCollection<>() {
            @Override
            public Iterator<V> iterator() {
                return new Iter<>(Map.Entry::getValue);
            }

            @Override
            public int size() {
                return OffHeapMap.this.size();
            }

            @Override
            public boolean contains(final Object o) {
                return o != null && containsValue(o);
            }

            @Override
            public void clear() {
                OffHeapMap.this.clear();
            }
        };
    }

    /** An entry returned by iterators: a decoded copy whose setValue writes through. */
    private final class WriteThroughEntry extends AbstractMap.SimpleEntry<K, V> {
        private static final long serialVersionUID = 1L;

        WriteThroughEntry(final K k, final V v) {
            super(k, v);
        }

        @Override
        public V setValue(final V value) {
            checkValue(value, "Entry.setValue(value)");
            final V prev = super.setValue(value);
            put(getKey(), value);
            return prev;
        }
    }

    /** The weakly consistent iterator; see "Iteration" in the overview. */
    private final class Iter<T> implements Iterator<T> {
        private final Function<Map.Entry<K, V>, T> project;
        private final ArrayList<Map.Entry<K, V>> batch = new ArrayList<>();
        private int batchPos;
        private int seg;
        /** Table size seen when the current segment's iteration began; 0 before. */
        private int n0;
        private int cursor;
        private Map.Entry<K, V> last;

        Iter(final Function<Map.Entry<K, V>, T> project) {
            this.project = project;
        }

        @Override
        public boolean hasNext() {
            checkOpen("Iterator.hasNext()");
            while (batchPos >= batch.size()) {
                if (!fill()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException(describe("Iterator.next(): no more mappings"));
            }
            last = batch.get(batchPos++);
            return project.apply(last);
        }

        @Override
        public void remove() {
            checkOpen("Iterator.remove()");
            if (last == null) {
                throw new IllegalStateException(describe("Iterator.remove() without next()"));
            }
            delete(last.getKey());
            last = null;
        }

        /** Reads the next step's buckets in one section; false at the end. */
        private boolean fill() {
            batch.clear();
            batchPos = 0;
            if (seg >= segments.length) {
                return false;
            }
            final Seg sg = segments[seg];
            final Smr.Reader r = smr.reader();
            r.enter();
            try {
                final Table t = sg.tableAcquire();
                if (n0 == 0) {
                    n0 = t.mask + 1;
                    cursor = 0;
                }
                for (int j = cursor; j <= t.mask; j += n0) {
                    for (long e = EntryLayout.bucketAcquire(t.seg, t.base, j); e != 0; ) {
                        final MemorySegment s = arena.segmentOf(e);
                        final long o = SmrArena.offsetOf(e);
                        final int kl = EntryLayout.keyLen(s, o);
                        final int vl = EntryLayout.valueLen(s, o);
                        final K k = keys.decode(s.asSlice(o + EntryLayout.KEY, kl).asReadOnly());
                        final V v = values.decode(s.asSlice(o + EntryLayout.KEY + kl, vl).asReadOnly());
                        batch.add(new WriteThroughEntry(k, v));
                        e = EntryLayout.nextAcquire(s, o);
                    }
                }
            } finally {
                r.exit();
            }
            if (++cursor >= n0) {
                seg++;
                n0 = 0;
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ close, stats

    /**
     * Closes the map: afterwards every method but {@code close()}, {@link #isClosed()} and
     * {@code toString()} throws {@link IllegalStateException} naming the map. Frees every entry through the arena
     * (readers still inside sections finish safely), unregisters the MBean and, if the map
     * created its arena, closes it (which waits for readers). Idempotent.
     *
     * @throws IllegalStateException if called inside a read section of the arena's domain
     *         while the map owns its arena (closing it would wait for itself)
     */
    @Override
    public void close() {
        if (ownsArena && smr.entered()) {
            throw new IllegalStateException(describe("close() inside a read section of domain '" + smr.name()
                    + "' (it closes the map's arena, which waits for readers)"));
        }
        synchronized (this) {
            if (closedAcquire()) {
                return;
            }
            // ORDER: release; pairs with the acquire loads of checkOpen and of write() under a segment lock.
            CLOSED.setRelease(this, true);
        }
        Jmx.unregister(mbeanName);
        OffHeapPeriodic.remove(periodic);
        if (ownsArena) {
            arena.close(); // releases every slab; no need to free entries one by one
            return;
        }
        for (final Seg sg : segments) {
            final Table old;
            sg.lock();
            try {
                old = sg.table;
                sg.setCountRelease(0);
            } finally {
                sg.unlock();
            }
            freeTable(old);
        }
    }

    /**
     * Returns whether {@link #close()} has been called. Unlike every other method it works
     * after close.
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closedAcquire();
    }

    /**
     * Returns a snapshot of the map's counters and its arena's.
     *
     * @return the counters now
     * @throws IllegalStateException if the map is closed
     */
    public Stats stats() {
        checkOpen("stats()");
        long size = 0;
        long buckets = 0;
        long puts = 0;
        long removes = 0;
        long resizes = 0;
        for (final Seg sg : segments) {
            sg.lock();
            try {
                size += sg.count;
                buckets += sg.table.mask + 1;
                puts += sg.puts;
                removes += sg.removes;
                resizes += sg.resizes;
            } finally {
                sg.unlock();
            }
        }
        return new Stats(name, size, buckets, segments.length, puts, removes, resizes, arena.stats());
    }

    /**
     * Returns the name under which this map's MBean is registered.
     *
     * @return the object name ({@code org.smr4j:type=OffHeapMap,name=<name>}, with
     *         {@code ,instance=<n>} appended while another map of the same name is registered),
     *         or null if JMX was disabled or registration failed
     * @throws IllegalStateException if the map is closed
     */
    public String mbeanName() {
        checkOpen("mbeanName()");
        final ObjectName on = mbeanName;
        return on == null ? null : on.getCanonicalName();
    }

    private void registerMBean() {
        final OffHeapMapMXBean bean = new OffHeapMapMXBean() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public long getSize() {
                return isClosed() ? 0 : stats().size();
            }

            @Override
            public long getBuckets() {
                return isClosed() ? 0 : stats().buckets();
            }

            @Override
            public long getPuts() {
                return isClosed() ? 0 : stats().puts();
            }

            @Override
            public long getRemoves() {
                return isClosed() ? 0 : stats().removes();
            }

            @Override
            public long getResizes() {
                return isClosed() ? 0 : stats().resizes();
            }

            @Override
            public String getArena() {
                return arena.name();
            }

            @Override
            public long getArenaInUseBytes() {
                return arena.stats().inUseBytes();
            }

            @Override
            public String getArenaHardLimit() {
                return Jmx.limit(arena.stats().hardLimit());
            }
        };
        final Map<String, String> d = Map.of(
                "Name", "The map's name",
                "Size", "Mappings now (sum of the segments' counts)",
                "Buckets", "Buckets of all segments' current tables",
                "Puts", "Entries stored so far (inserts and replacements)",
                "Removes", "Entries removed so far",
                "Resizes", "Segment tables doubled so far",
                "Arena", "Name of the SmrArena holding the entries",
                "ArenaInUseBytes", "Bytes of the arena in use (all its users, this map's entries and buckets included)",
                "ArenaHardLimit", "The arena's hard limit in bytes, or \"unlimited\"");
        this.mbeanName = Jmx.register("OffHeapMap", name,
                new Jmx.Described<>(bean, OffHeapMapMXBean.class, "smr4j off-heap map '" + name + "'", d));
    }

    // ------------------------------------------------------------------ checks

    /**
     * For tests, with the map quiescent: invariants 1 and 2 of the overview. Throws
     * {@link AssertionError}.
     */
    void checkInvariants() {
        for (int si = 0; si < segments.length; si++) {
            final Seg sg = segments[si];
            sg.lock();
            try {
                final Table t = sg.table;
                int n = 0;
                final java.util.HashSet<String> seen = new java.util.HashSet<>();
                for (int i = 0; i <= t.mask; i++) {
                    for (long e = EntryLayout.bucketAcquire(t.seg, t.base, i); e != 0; ) {
                        final MemorySegment s = arena.segmentOf(e);
                        final long o = SmrArena.offsetOf(e);
                        final long h = EntryLayout.hash(s, o);
                        if (segmentFor(h) != sg || ((int) h & t.mask) != i) {
                            throw new AssertionError(describe("entry of hash " + h + " in segment " + si + " bucket " + i));
                        }
                        final byte[] kb = s.asSlice(o + EntryLayout.KEY, EntryLayout.keyLen(s, o)).toArray(ValueLayout.JAVA_BYTE);
                        if (!seen.add(java.util.HexFormat.of().formatHex(kb))) {
                            throw new AssertionError(describe("two entries with one key in segment " + si));
                        }
                        if (hashOfStored(kb) != h) {
                            throw new AssertionError(describe("stored hash " + h + " is not the key's"));
                        }
                        n++;
                        e = EntryLayout.nextAcquire(s, o);
                    }
                }
                if (n != sg.count) {
                    throw new AssertionError(describe("segment " + si + " count " + sg.count + " != " + n + " entries"));
                }
            } finally {
                sg.unlock();
            }
        }
    }

    private long hashOfStored(final byte[] kb) {
        return longKeys ? SipHash.hash(k0, k1, MemorySegment.ofArray(kb).get(LONG_LE, 0)) : hashOf(kb);
    }

    private void checkOpen(final String what) {
        if (closedAcquire()) {
            throw closedException(what);
        }
    }

    private IllegalStateException closedException(final String what) {
        return new IllegalStateException(describe(what + " after close()"));
    }

    private String describe(final String what) {
        return "map '" + name + "': " + what + " (thread " + Thread.currentThread() + ")";
    }

    private boolean closedAcquire() {
        return (boolean) CLOSED.getAcquire(this);
    }

    /**
     * Returns the map's contents as {@link AbstractMap} prints them, or, after close, its name
     * and that it is closed.
     *
     * @return a string
     */
    @Override
    public String toString() {
        return closedAcquire() ? "OffHeapMap[" + name + ", closed]" : super.toString();
    }

    // ------------------------------------------------------------------ Builder, Stats

    /**
     * Configures a map. Not thread-safe.
     *
     * @param <K> the key type
     * @param <V> the value type
     */
    public static final class Builder<K, V> {
        private final String name;
        private final Codec<K> keys;
        private final Codec<V> values;
        private SmrArena arena;
        private int segments = SEGMENTS_DEFAULT;
        private boolean jmx = true;

        private Builder(final String name, final Codec<K> keys, final Codec<V> values) {
            this.name = name;
            this.keys = keys;
            this.values = values;
        }

        /**
         * Stores the entries in {@code arena} (shared with other users; the map frees its
         * entries on close but does not close it). Without it the map creates an arena of its
         * own, named after the map, and closes it with the map.
         *
         * @param arena the arena
         * @return this builder
         * @throws NullPointerException if {@code arena} is null
         * @throws IllegalStateException if {@code arena} is closed
         */
        public Builder<K, V> arena(final SmrArena arena) {
            Objects.requireNonNull(arena, "arena");
            if (arena.isClosed()) {
                throw new IllegalStateException("map '" + name + "': arena(" + arena.name() + "): the arena is closed");
            }
            this.arena = arena;
            return this;
        }

        /**
         * Sets the number of segments (independent writer locks and tables).
         *
         * @param n a power of two from 1 to 1024
         * @return this builder
         * @throws IllegalArgumentException if out of range or not a power of two
         */
        public Builder<K, V> segments(final int n) {
            if (n < 1 || n > 1024 || Integer.bitCount(n) != 1) {
                throw new IllegalArgumentException("map '" + name + "': segments(n " + n
                        + "): n must be a power of two in [1, 1024]");
            }
            this.segments = n;
            return this;
        }

        /**
         * Turns JMX registration on (the default) or off, for the map and for an arena it creates.
         *
         * @param on whether to register MBeans
         * @return this builder
         */
        public Builder<K, V> jmx(final boolean on) {
            this.jmx = on;
            return this;
        }

        /**
         * Builds the map and registers its MBean (last, so that a failed build registers nothing).
         *
         * @return a new map
         * @throws IllegalStateException if the given arena was closed meanwhile
         */
        public OffHeapMap<K, V> build() {
            if (arena != null && arena.isClosed()) {
                throw new IllegalStateException("map '" + name + "': build(): arena '" + arena.name() + "' is closed");
            }
            final OffHeapMap<K, V> map = new OffHeapMap<>(this);
            if (jmx) {
                map.registerMBean();
            }
            map.periodic = OffHeapPeriodic.add(map);
            return map;
        }
    }

    /**
     * A snapshot of a map's counters.
     *
     * @param name     the map's name
     * @param size     mappings
     * @param buckets  buckets of all current tables
     * @param segments segments
     * @param puts     entries stored so far (inserts and replacements)
     * @param removes  entries removed so far
     * @param resizes  tables doubled so far
     * @param arena    the arena's statistics (all its users)
     */
    public record Stats(String name, long size, long buckets, int segments, long puts, long removes, long resizes,
                        SmrArena.Stats arena) {
    }

    // ------------------------------------------------------------------ VarHandle mechanics

    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(OffHeapMap.class, "closed", boolean.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
