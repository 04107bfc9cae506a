package org.smr4j.netinet;

import java.util.concurrent.locks.StampedLock;

/**
 * Field layout of {@link ControlBlock}. HotSpot lays out a superclass's fields before its
 * subclass's, so the fields a lookup reads are declared here, in one small class, and land
 * together right after the object header: the keyed hash (compared first), the chain links,
 * the key (compared by identity first), the flags, the generation, the attachment (what a
 * {@code read} usually returns) and the lock (try-locked by {@code lookup}). The tuple,
 * compared only when the key is not the very object the block was inserted with, and the
 * writer-side fields follow in {@link ControlBlock}. The access modes are documented where the
 * fields are used, in {@link ControlBlock}.
 */
final class ControlBlockLayout {

    private ControlBlockLayout() {
    }

    /** The hot fields; see the class comment. */
    abstract static class Hot {
        /** Keyed hash of the tuple, kept so that growth and removal need not rehash. */
        int hash;
        /** State bits ({@code FREED}); through ControlBlock.FLAGS. */
        int flags;
        /**
         * Incarnation count: incremented each time the block is handed out for a connection;
         * through ControlBlock.GENERATION (see ControlBlock.assign).
         */
        long generation;
        /** Chain link of the parity-0 bucket array; through ControlBlock.LINK0. */
        ControlBlock link0;
        /** Chain link of the parity-1 bucket array; through ControlBlock.LINK1. */
        ControlBlock link1;
        /** The key this block was inserted or rehashed with. */
        ConnectionKey key;
        /** User data, cleared on free. */
        Object attachment;
        /** The per-block lock; created once by the pool's init hook, survives reuse. */
        StampedLock lock;
    }
}
