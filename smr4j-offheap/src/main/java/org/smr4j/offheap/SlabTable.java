package org.smr4j.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The slabs of one {@link SmrArena}, found two ways: by index (the high half of a block
 * handle; the map and the allocator's own paths) and by scope (a {@link MemorySegment} a user
 * passes to {@link SmrArena#free(MemorySegment)}: every segment the arena hands out is a slice
 * of a slab's segment, so its scope is that slab's arena scope, and a segment with any other
 * scope was not allocated here).
 *
 * <p>Readers of the index array ({@link #get(int)}) take no lock: the array is published with a
 * release store and read with an acquire load, and a slot is written (release) before any
 * handle into its slab exists, so whoever holds a handle (received through a lock, a magazine
 * or an acquire load of a structure's link) sees the slot filled. A slot is cleared only when
 * its slab is released, after every block went back to it, when no reader can hold a handle
 * into it; the index may then be reused. Writers ({@link #add}, {@link #remove}) serialise on
 * this object's monitor (rare: once per slab).
 */
final class SlabTable {
    /** Index to slab; slot 0 is never used (handle 0 is null). Accessed through {@link #SLABS}. */
    private Slab[] slabs = new Slab[16];
    /** Scope of each live slab's arena to the slab. */
    private final ConcurrentHashMap<MemorySegment.Scope, Slab> byScope = new ConcurrentHashMap<>();
    /** Free indices, a stack; under the monitor. */
    private int[] freeIndices = new int[16];
    private int freeTop;
    /** Next never-used index; under the monitor. */
    private int next = 1;
    /** Live slabs; under the monitor. */
    private int live;

    /** Reserves an index for a slab about to be created. */
    synchronized int reserveIndex() {
        if (freeTop > 0) {
            return freeIndices[--freeTop];
        }
        if (next == Integer.MAX_VALUE) {
            throw new IllegalStateException("slab table full: 2^31 slabs");
        }
        return next++;
    }

    /** Gives back an index reserved by {@link #reserveIndex()} whose slab was never added. */
    synchronized void unreserve(final int index) {
        pushFree(index);
    }

    /** Publishes {@code slab} under its reserved index. */
    synchronized void add(final Slab slab) {
        Slab[] a = slabsPlain();
        if (slab.index >= a.length) {
            final Slab[] b = new Slab[Math.max(a.length * 2, slab.index + 1)];
            System.arraycopy(a, 0, b, 0, a.length);
            // ORDER: release; the copy is complete before a reader can load the new array.
            SLABS.setRelease(this, b);
            a = b;
        }
        // ORDER: release; the slab's final fields and states are visible to whoever reads the slot.
        SLOT.setRelease(a, slab.index, slab);
        byScope.put(slab.segment.scope(), slab);
        live++;
    }

    /** Removes a released slab and frees its index. */
    synchronized void remove(final Slab slab) {
        byScope.remove(slab.segment.scope(), slab);
        SLOT.setRelease(slabsPlain(), slab.index, null);
        pushFree(slab.index);
        live--;
    }

    private void pushFree(final int index) {
        if (freeTop == freeIndices.length) {
            final int[] b = new int[freeIndices.length * 2];
            System.arraycopy(freeIndices, 0, b, 0, freeTop);
            freeIndices = b;
        }
        freeIndices[freeTop++] = index;
    }

    /** The slab of a handle's index; never null for a handle into a live slab. */
    Slab get(final int index) {
        // ORDER: acquire, twice; pairs with the release stores in add(): see the class documentation.
        final Slab[] a = (Slab[]) SLABS.getAcquire(this);
        return (Slab) SLOT.getAcquire(a, index);
    }

    /** The slab whose arena scope is {@code scope}, or null. */
    Slab byScope(final MemorySegment.Scope scope) {
        return byScope.get(scope);
    }

    /** Every live slab now (for close, stats and tests). */
    synchronized Slab[] snapshot() {
        final Slab[] a = slabsPlain();
        final Slab[] out = new Slab[live];
        int n = 0;
        for (final Slab s : a) {
            if (s != null) {
                out[n++] = s;
            }
        }
        return out;
    }

    synchronized int live() {
        return live;
    }

    private Slab[] slabsPlain() {
        return slabs; // under the monitor, which every writer holds
    }

    // VarHandle mechanics
    private static final VarHandle SLABS;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Slab[].class);

    static {
        try {
            SLABS = MethodHandles.lookup().findVarHandle(SlabTable.class, "slabs", Slab[].class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
