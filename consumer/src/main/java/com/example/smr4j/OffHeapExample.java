package com.example.smr4j;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import org.smr4j.Smr;
import org.smr4j.offheap.Codec;
import org.smr4j.offheap.OffHeapMap;
import org.smr4j.offheap.SmrArena;

/** The README's smr4j-offheap example: native records freed at once, never under a reader. */
public final class OffHeapExample {
    private OffHeapExample() {
    }

    public static void main(final String[] args) {
        final AtomicReference<MemorySegment> head = new AtomicReference<>();
        final byte[] body = "<html>hello</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        final int len;
        // README:begin offheap
        SmrArena arena = SmrArena.builder("records").hardLimit(256L << 20).build();
        Smr smr = arena.smr();
        MemorySegment rec = arena.allocate(64);          // native, usable by any thread
        rec.set(JAVA_LONG, 0, 7L);
        head.set(rec);                                   // publish it

        smr.enter();                                     // reader, any thread
        try { System.out.println("record " + head.get().get(JAVA_LONG, 0)); } finally { smr.exit(); }

        MemorySegment old = head.getAndSet(arena.allocate(64));   // writer: unlink...
        arena.free(old);                                 // ...free at once; reused only after grace

        try (OffHeapMap<String, byte[]> cache =          // a ConcurrentMap off the heap
                 OffHeapMap.builder("pages", Codec.STRING, Codec.BYTES).build()) {
            cache.put("/index.html", body);
            len = cache.read("/index.html", v -> (int) v.byteSize());   // zero-copy, in a section
        }
        // README:end offheap
        if (len != body.length) {
            throw new AssertionError("read " + len + " bytes, stored " + body.length);
        }
        System.out.println("offheap: " + arena.stats());
        arena.close();
    }
}
