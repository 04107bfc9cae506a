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
 * <p>Maintainers: the conventions inside the code (access modes, {@code // ORDER:} comments,
 * padding, misuse) are in {@code docs/INTERNALS.md} of the repository.
 */
package org.smr4j.offheap;
