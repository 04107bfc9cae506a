/**
 * smr4j-offheap: native memory that is never freed under a reader.
 *
 * <p>The module exports one package, {@link org.smr4j.offheap}: {@link org.smr4j.offheap.SmrArena}
 * (a size-class allocator of {@link java.lang.foreign.MemorySegment}s whose frees are deferred
 * through an {@link org.smr4j.Smr} domain), {@link org.smr4j.offheap.SmrMappedFile} (read-only
 * file mappings unmapped once no reader can be inside) and {@link org.smr4j.offheap.OffHeapMap}
 * (a {@link java.util.concurrent.ConcurrentMap} whose keys and values live in an arena). It reads
 * {@code org.smr4j} (transitively: its types appear in this API), {@code java.management} (one
 * MBean per arena and map) and {@code jdk.jfr} (events for waits, slab releases and unmaps).
 *
 * <p>{@code SmrMappedFile} calls {@code mmap(2)} and {@code munmap(2)} through
 * {@code java.lang.foreign}: grant it with {@code --enable-native-access=org.smr4j.offheap}
 * (or {@code ALL-UNNAMED} on the class path). The arena and the map use no restricted method.
 */
module org.smr4j.offheap {
    requires static org.jspecify;
    requires transitive org.smr4j;
    requires java.management;
    requires jdk.jfr;

    exports org.smr4j.offheap;
}
