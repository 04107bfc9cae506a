/**
 * Native memory that is never freed under a reader.
 *
 * <ul>
 *   <li>{@link org.smr4j.offheap.SmrArena}: a size-class allocator of
 *       {@link java.lang.foreign.MemorySegment}s whose {@code free} is deferred through an
 *       {@link org.smr4j.Smr} domain (FreeBSD UMA's SMR zones for native memory): per-thread
 *       magazines, batches tagged with one {@code advance()}, slabs returned to the system when
 *       empty, a hard limit with wait or fail, a checked mode that poisons freed blocks.</li>
 *   <li>{@link org.smr4j.offheap.SmrMappedFile}: a read-only file mapping unmapped once no
 *       reader can be inside, without the JDK's per-close handshake.</li>
 *   <li>{@link org.smr4j.offheap.OffHeapMap}: a {@link java.util.concurrent.ConcurrentMap} whose
 *       keys and values live in an arena, encoded by {@link org.smr4j.offheap.Codec}s, with
 *       lock-free lookups and a zero-copy read.</li>
 * </ul>
 *
 * <h2>Conventions inside this package</h2>
 * As in {@code org.smr4j}: fields touched concurrently are plain and accessed through
 * {@code private static final VarHandle}s named after them (native memory through
 * {@code ValueLayout} var handles in {@code EntryLayout}); every access stronger than plain
 * carries an {@code // ORDER:} comment; misuse throws {@link java.lang.NullPointerException},
 * {@link java.lang.IllegalArgumentException} or {@link java.lang.IllegalStateException} naming
 * the parameter or the structure, the value and the thread. Off-heap formats are drawn in one
 * descriptor class ({@code EntryLayout}). Block handles are {@code long}s,
 * {@code (slab index << 32) | byte offset}, so that no block has a heap object.
 */
package org.smr4j.offheap;
