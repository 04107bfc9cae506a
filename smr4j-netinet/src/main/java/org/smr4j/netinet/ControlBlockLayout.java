package org.smr4j.netinet;

import org.jspecify.annotations.Nullable;

/**
 * Field layout of {@link ControlBlock}: the fields a lookup reads, in the first 64 bytes of
 * the object (one cache line when the object starts on one), under both object header sizes
 * of JDK 25 (12 bytes by default, 8 with {@code -XX:+UseCompactObjectHeaders}).
 *
 * <p>HotSpot lays out a superclass's fields before its subclass's, so the hot fields are
 * declared here, in one small class, and land right after the header:
 * <pre>
 *   default headers (12 bytes)                 compact headers (8 bytes)
 *    0 header (mark, class)                      0 header
 *   12 link0                                     8 ports
 *   16 ports       (protocol, ports, FREED)     16 localHi
 *   24 localHi                                  24 localLo
 *   32 localLo                                  32 foreignHi
 *   40 foreignHi                                40 foreignLo
 *   48 foreignLo                                48 link0
 *   56 link1                                    52 link1
 *   60 attachment                               56 attachment
 *   64 ... ControlBlock's own fields            60 ... ControlBlock's own fields (lock)
 * </pre>
 * So a lock-free {@code read} that finds its block reads one line of it: the chain walk
 * compares {@code ports} and the four address words, follows a link, and the usual reader
 * function returns the attachment. What lies beyond: the lock reference (the locked
 * {@code lookup} reads it, and then the lock object, another line anyway), the key object
 * (only {@link ControlBlock#key()}), the keyed hash (writers only: growth, unlink, insert's
 * duplicate check), the generation (pserialize's {@code read} validation; SMR never needs
 * it), the reference count and the writer-side state. {@code ControlBlockLayoutTest} checks
 * this with JOL under both header sizes.
 */
final class ControlBlockLayout {

    private ControlBlockLayout() {
    }

    /** The hot fields; see the class comment. Access modes: see {@link ControlBlock}. */
    abstract static class Hot {
        /**
         * {@code protocol << 32 | localPort << 16 | foreignPort}, with bit 63
         * ({@code ControlBlock.FREED}) set while the block is freed or not yet assigned: a
         * freed block never matches a lookup's word, whose bit 63 is clear. Through
         * {@code ControlBlock.PORTS}.
         */
        long ports;
        /** High 64 bits of the local address (IPv6 form; 0 for IPv4). */
        long localHi;
        /** Low 64 bits of the local address (IPv4-mapped for IPv4). */
        long localLo;
        /** High 64 bits of the foreign address. */
        long foreignHi;
        /** Low 64 bits of the foreign address. */
        long foreignLo;
        /** Chain link of the parity-0 bucket array; through ControlBlock.LINK0. */
        @Nullable ControlBlock link0;
        /** Chain link of the parity-1 bucket array; through ControlBlock.LINK1. */
        @Nullable ControlBlock link1;
        /** User data, cleared on free. */
        @Nullable Object attachment;
    }
}
