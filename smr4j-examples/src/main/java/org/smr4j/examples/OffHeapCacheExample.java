package org.smr4j.examples;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import org.smr4j.offheap.Codec;
import org.smr4j.offheap.OffHeapMap;
import org.smr4j.offheap.SmrArena;

/**
 * An off-heap cache in twenty lines.
 *
 * <h2>The problem</h2>
 * A service caches a few million rendered pages. On the heap they would be a large, long-lived
 * population for every garbage collection to trace; off heap (in {@code MemorySegment}s) the
 * collector never sees them, but then nothing protects a reader from a writer that frees the
 * page it is reading: the JDK's only safe free of shared native memory is closing a shared
 * {@code Arena}, a handshake with every thread for each free.
 *
 * <h2>The fix</h2>
 * {@link OffHeapMap} keeps keys and values in an {@link SmrArena}: readers look up without a
 * lock inside a read section, writers replace entries and free the old ones through the arena,
 * which reuses their memory only once no reader can still be inside. The heap holds the map's
 * few dozen objects, whatever its size.
 *
 * <h2>What it shows</h2>
 * It fills a cache with {@code smr4j.example.pages} pages of 1 KiB, replaces half of them, reads
 * a page in place (zero-copy) and as a copy, prints the arena's accounting, and closes everything
 * (one {@code reclaim()} gives the freed slabs back to the system first). The twenty lines are
 * {@link #cache(int)}; {@link #main} only prints.
 *
 * <p>Configuration ({@code -D} properties): {@code smr4j.example.pages}, default 10,000.
 */
public final class OffHeapCacheExample {
    private static final int PAGES = Integer.getInteger("smr4j.example.pages", 10_000);

    private OffHeapCacheExample() {
    }

    /**
     * The cache story; returns the arena's statistics before close, for the test and the printout.
     *
     * @param pages how many pages to cache
     * @return a one-line summary
     */
    static String cache(final int pages) {
        try (SmrArena arena = SmrArena.builder("pages").hardLimit(1L << 30).build();
             OffHeapMap<String, byte[]> cache = OffHeapMap.builder("pages", Codec.STRING, Codec.BYTES).arena(arena).build()) {
            final byte[] page = new byte[1024];
            for (int i = 0; i < pages; i++) {
                page[0] = (byte) i;
                cache.set("/page/" + i, page);                       // copied into the arena
            }
            for (int i = 0; i < pages; i += 2) {
                cache.set("/page/" + i, "<html>v2</html>".getBytes(StandardCharsets.UTF_8)); // old entry freed after grace
            }
            final Byte first = cache.read("/page/1", v -> v.get(ValueLayout.JAVA_BYTE, 0)); // zero-copy, in a section
            final String v2 = new String(cache.get("/page/0"), StandardCharsets.UTF_8);   // a decoded copy
            final SmrArena.Stats before = arena.stats();
            final long released = arena.reclaim();                    // freed slabs go back to the system
            return "pages=" + cache.size() + " first=" + first + " v2=" + v2 + " inUse=" + before.inUseBytes()
                    + " reserved=" + before.reservedBytes() + " released=" + released;
        }
    }

    /**
     * Runs the story and prints its summary.
     *
     * @param args ignored
     */
    public static void main(final String[] args) {
        System.out.println("OffHeapCacheExample: " + cache(PAGES));
    }
}
