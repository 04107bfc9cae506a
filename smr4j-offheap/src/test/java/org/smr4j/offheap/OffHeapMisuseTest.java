package org.smr4j.offheap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smr4j.Smr;
import org.smr4j.SmrRetireQueue;

/**
 * Issue 8 point 1 for every public type of this module, table-driven: each row calls one entry
 * point with a null, out-of-range or wrong-state argument and names the exception type and the
 * words its message must contain (the parameter, the value or range, the structure's name).
 * After each row the structure's invariants are checked and it is used once more, to show
 * that the refused call changed nothing.
 */
@Timeout(60)
@SuppressWarnings("ReturnValueIgnored") // the calls are made for the exceptions they must throw
class OffHeapMisuseTest {
    /** One misuse: what, the call, the exception, words of its message. */
    @SuppressWarnings("ArrayRecordComponent") // a table row, never compared or hashed
    record Row<S>(String what, Consumer<S> call, Class<? extends Throwable> type, String... words) {
    }

    private static <S> Stream<DynamicTest> table(final S subject, final List<Row<S>> rows, final Consumer<S> stillWorks) {
        return rows.stream().map(r -> DynamicTest.dynamicTest(r.what(), () -> {
            assertThatThrownBy(() -> r.call().accept(subject)).as(r.what()).isInstanceOf(r.type())
                    .satisfies(t -> {
                        for (final String w : r.words()) {
                            assertThat(t.getMessage()).as(r.what()).contains(w);
                        }
                    });
            stillWorks.accept(subject);
        }));
    }

    @TestFactory
    Stream<DynamicTest> smrArena() {
        final SmrArena a = SmrArena.builder("misuse-arena").hardLimit(8 << 20).jmx(false).build();
        final Smr smr = a.smr();
        final MemorySegment freed = a.allocate(32);
        a.free(freed);
        final Arena confined = Arena.ofShared(); // dynamic tests run on the timeout thread
        final List<Row<SmrArena>> rows = List.of(
                new Row<>("allocate(-1)", x -> x.allocate(-1), IllegalArgumentException.class, "byteSize -1", "[0,", "misuse-arena"),
                new Row<>("allocate(MAX)", x -> x.allocate(Long.MAX_VALUE), IllegalArgumentException.class, "byteSize", "range"),
                new Row<>("allocate(above hard limit)", x -> x.allocate(16 << 20), IllegalArgumentException.class,
                        "hard limit", "16777216"),
                new Row<>("allocate(8, 0)", x -> x.allocate(8, 0), IllegalArgumentException.class, "byteAlignment 0", "power of two"),
                new Row<>("allocate(8, 3)", x -> x.allocate(8, 3), IllegalArgumentException.class, "byteAlignment 3"),
                new Row<>("allocate(8, 2^31)", x -> x.allocate(8, 1L << 31), IllegalArgumentException.class, "byteAlignment 2147483648"),
                new Row<>("free(null)", x -> x.free(null), NullPointerException.class, "segment", "misuse-arena"),
                new Row<>("free(double)", x -> x.free(freed), IllegalStateException.class, "double free",
                        Long.toHexString(freed.address()), "misuse-arena"),
                new Row<>("free(foreign)", x -> x.free(confined.allocate(16)), IllegalArgumentException.class,
                        "not a segment this arena allocated", "misuse-arena"),
                new Row<>("free(global)", x -> x.free(MemorySegment.NULL), IllegalArgumentException.class, "0x0"),
                new Row<>("reclaim() inside a section", x -> {
                    smr.enter();
                    try {
                        x.reclaim();
                    } finally {
                        smr.exit();
                    }
                }, IllegalStateException.class, "reclaim()", "read section", "misuse-arena"),
                new Row<>("close() inside a section", x -> {
                    smr.enter();
                    try {
                        x.close();
                    } finally {
                        smr.exit();
                    }
                }, IllegalStateException.class, "close()", "read section"));
        final Consumer<SmrArena> works = x -> {
            x.checkInvariants();
            final MemorySegment s = x.allocate(100);
            s.fill((byte) 1);
            x.free(s);
            assertThat(x.isClosed()).isFalse();
        };
        final SmrArena closed = SmrArena.builder("misuse-closed").jmx(false).build();
        final MemorySegment beforeClose = closed.allocate(8);
        closed.close();
        final List<Row<SmrArena>> afterClose = List.of(
                new Row<>("allocate after close", x -> x.allocate(8), IllegalStateException.class, "after close", "misuse-closed"),
                new Row<>("free after close", x -> x.free(beforeClose), IllegalStateException.class, "after close", "misuse-closed"),
                new Row<>("reclaim after close", SmrArena::reclaim, IllegalStateException.class, "after close", "misuse-closed"));
        return Stream.concat(table(a, rows, works), table(closed, afterClose, x -> {
            x.close(); // idempotent
            assertThat(x.stats().name()).isEqualTo("misuse-closed");
        }));
    }

    @TestFactory
    Stream<DynamicTest> smrArenaBuilder() {
        final SmrArena.Builder b = SmrArena.builder("misuse-builder").jmx(false);
        final List<Row<SmrArena.Builder>> rows = List.of(
                new Row<>("builder(null)", x -> SmrArena.builder(null), NullPointerException.class, "name"),
                new Row<>("builder(\"\")", x -> SmrArena.builder(""), IllegalArgumentException.class, "name must not be empty"),
                new Row<>("smr(null)", x -> x.smr(null), NullPointerException.class, "smr"),
                new Row<>("limitPolicy(null)", x -> x.limitPolicy(null), NullPointerException.class, "policy"),
                new Row<>("hardLimit(0)", x -> x.hardLimit(0), IllegalArgumentException.class, "bytes 0", "range"),
                new Row<>("slabSize(1000)", x -> x.slabSize(1000), IllegalArgumentException.class, "bytes 1000", "power of two"),
                new Row<>("slabSize(2^31)", x -> x.slabSize(1L << 31), IllegalArgumentException.class, "2147483648"),
                new Row<>("magazineSize(0)", x -> x.magazineSize(0), IllegalArgumentException.class, "n 0", "[1, 65536]"),
                new Row<>("hardLimit below slab size", x -> SmrArena.builder("b2").slabSize(1 << 20).hardLimit(1 << 16).jmx(true).build(),
                        IllegalArgumentException.class, "below the slab size", "65536"));
        return table(b, rows, x -> {
            try (SmrArena a = x.build()) {
                assertThat(a.allocate(8)).isNotNull();
            }
            // The failed build with jmx(true) registered nothing.
            assertThat(java.lang.management.ManagementFactory.getPlatformMBeanServer()
                    .queryNames(null, null).toString()).doesNotContain("\"b2\"");
        });
    }

    @TestFactory
    Stream<DynamicTest> offHeapMap() {
        final OffHeapMap<String, String> m = OffHeapMap.builder("misuse-map", Codec.STRING, Codec.STRING).jmx(false).build();
        m.put("k", "v");
        final Smr smr = m.arena().smr();
        final List<Row<OffHeapMap<String, String>>> rows = List.of(
                new Row<>("get(null)", x -> x.get(null), NullPointerException.class, "key", "misuse-map"),
                new Row<>("put(null, v)", x -> x.put(null, "v"), NullPointerException.class, "key"),
                new Row<>("put(k, null)", x -> x.put("k", null), NullPointerException.class, "value"),
                new Row<>("set(null, v)", x -> x.set(null, "v"), NullPointerException.class, "key"),
                new Row<>("putIfAbsent(k, null)", x -> x.putIfAbsent("k", null), NullPointerException.class, "value"),
                new Row<>("replace(k, null)", x -> x.replace("k", null), NullPointerException.class, "value"),
                new Row<>("replace(k, null, v)", x -> x.replace("k", null, "v"), NullPointerException.class, "oldValue"),
                new Row<>("replace(k, v, null)", x -> x.replace("k", "v", null), NullPointerException.class, "newValue"),
                new Row<>("remove(null)", x -> x.remove(null), NullPointerException.class, "key"),
                new Row<>("remove(k, null)", x -> x.remove("k", null), NullPointerException.class, "value"),
                new Row<>("containsKey(null)", x -> x.containsKey(null), NullPointerException.class, "key"),
                new Row<>("containsValue(null)", x -> x.containsValue(null), NullPointerException.class, "value"),
                new Row<>("read(null, f)", x -> x.read(null, s -> 1), NullPointerException.class, "key"),
                new Row<>("read(k, null)", x -> x.read("k", null), NullPointerException.class, "reader"),
                new Row<>("delete(null)", x -> x.delete(null), NullPointerException.class, "key"),
                new Row<>("iterator.remove() before next()", x -> x.keySet().iterator().remove(), IllegalStateException.class,
                        "without next()"),
                new Row<>("close() inside a section of its own arena", x -> {
                    smr.enter();
                    try {
                        x.close();
                    } finally {
                        smr.exit();
                    }
                }, IllegalStateException.class, "close()", "read section", "misuse-map"));
        final OffHeapMap<String, String> closed = OffHeapMap.builder("misuse-closed-map", Codec.STRING, Codec.STRING)
                .jmx(false).build();
        closed.close();
        final List<Row<OffHeapMap<String, String>>> afterClose = new ArrayList<>();
        final String[] names = {"get", "put", "set", "remove", "size", "isEmpty", "containsKey", "containsValue",
                "entrySet", "keySet", "values", "clear", "stats", "name", "arena", "putIfAbsent", "replace", "read",
                "delete", "hashCode", "equals"};
        for (final String n : names) {
            afterClose.add(new Row<>(n + " after close", x -> {
                switch (n) {
                    case "get" -> x.get("k");
                    case "put" -> x.put("k", "v");
                    case "set" -> x.set("k", "v");
                    case "remove" -> x.remove("k");
                    case "size" -> x.size();
                    case "isEmpty" -> x.isEmpty();
                    case "containsKey" -> x.containsKey("k");
                    case "containsValue" -> x.containsValue("v");
                    case "entrySet" -> x.entrySet();
                    case "keySet" -> x.keySet();
                    case "values" -> x.values();
                    case "clear" -> x.clear();
                    case "stats" -> x.stats();
                    case "name" -> x.name();
                    case "arena" -> x.arena();
                    case "putIfAbsent" -> x.putIfAbsent("k", "v");
                    case "replace" -> x.replace("k", "v");
                    case "read" -> x.read("k", s -> 1);
                    case "delete" -> x.delete("k");
                    case "hashCode" -> x.hashCode();
                    case "equals" -> x.equals(java.util.Map.of());
                    default -> throw new AssertionError(n);
                }
            }, IllegalStateException.class, "after close", "misuse-closed-map"));
        }
        return Stream.concat(table(m, rows, x -> {
            x.checkInvariants();
            assertThat(x.get("k")).isEqualTo("v");
            assertThat(x.size()).isEqualTo(1);
            x.put("k2", "v2");
            x.remove("k2");
        }), table(closed, afterClose, x -> {
            x.close();
            assertThat(x.isClosed()).isTrue();
            assertThat(x.toString()).contains("closed");
        }));
    }

    @TestFactory
    Stream<DynamicTest> offHeapMapBuilder() {
        final SmrArena closedArena = SmrArena.builder("misuse-dead-arena").jmx(false).build();
        closedArena.close();
        final OffHeapMap.Builder<String, String> b = OffHeapMap.builder("misuse-mb", Codec.STRING, Codec.STRING).jmx(false);
        final List<Row<OffHeapMap.Builder<String, String>>> rows = List.of(
                new Row<>("builder(null, ...)", x -> OffHeapMap.builder(null, Codec.STRING, Codec.STRING),
                        NullPointerException.class, "name"),
                new Row<>("builder(\"\", ...)", x -> OffHeapMap.builder("", Codec.STRING, Codec.STRING), IllegalArgumentException.class,
                        "name must not be empty"),
                new Row<>("builder(n, null, v)", x -> OffHeapMap.builder("n", null, Codec.STRING), NullPointerException.class, "keys"),
                new Row<>("builder(n, k, null)", x -> OffHeapMap.builder("n", Codec.STRING, null), NullPointerException.class, "values"),
                new Row<>("builder(n, BYTES, v)", x -> OffHeapMap.builder("n", Codec.BYTES, Codec.STRING), IllegalArgumentException.class,
                        "Codec.BYTES", "not a key codec"),
                new Row<>("arena(null)", x -> x.arena(null), NullPointerException.class, "arena"),
                new Row<>("arena(closed)", x -> x.arena(closedArena), IllegalStateException.class, "misuse-dead-arena", "closed"),
                new Row<>("segments(3)", x -> x.segments(3), IllegalArgumentException.class, "n 3", "power of two"),
                new Row<>("segments(0)", x -> x.segments(0), IllegalArgumentException.class, "n 0"));
        return table(b, rows, x -> {
            try (OffHeapMap<String, String> m = x.build()) {
                m.put("a", "b");
                assertThat(m.get("a")).isEqualTo("b");
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> smrMappedFile(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("data.bin");
        Files.write(file, new byte[10_000]);
        final SmrRetireQueue q = SmrRetireQueue.create("misuse-unmap", Smr.create("misuse-unmap"));
        final SmrMappedFile f = SmrMappedFile.open(file, q);
        final SmrMappedFile closed = SmrMappedFile.open(file, q);
        closed.close();
        final List<Row<SmrMappedFile>> rows = List.of(
                new Row<>("open(null, q)", x -> open(null, q), NullPointerException.class, "file"),
                new Row<>("open(f, null)", x -> open(file, null), NullPointerException.class, "unmapper"),
                new Row<>("open(f, -1, 1, q)", x -> open(file, -1, 1, q), IllegalArgumentException.class, "offset -1", "[0, 10000]"),
                new Row<>("open(f, 0, 10001, q)", x -> open(file, 0, 10_001, q), IllegalArgumentException.class, "length 10001"),
                new Row<>("open(missing)", x -> open(dir.resolve("missing"), q), java.io.UncheckedIOException.class, "missing"),
                new Row<>("segment() after close", x -> closed.segment(), IllegalStateException.class, "after close", "data.bin"));
        return table(f, rows, x -> assertThat(x.segment().byteSize()).isEqualTo(10_000));
    }

    private static SmrMappedFile open(final Path p, final SmrRetireQueue q) {
        try {
            return SmrMappedFile.open(p, q);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static SmrMappedFile open(final Path p, final long off, final long len, final SmrRetireQueue q) {
        try {
            return SmrMappedFile.open(p, off, len, q);
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The built-in codecs: null arguments, a target of the wrong size, a LONG source that is not 8 bytes. */
    @TestFactory
    Stream<DynamicTest> codec() {
        final Arena arena = Arena.ofAuto();
        final List<Row<Object>> rows = new ArrayList<>();
        for (final Codec<?> c : List.of(Codec.STRING, Codec.LONG, Codec.BYTES)) {
            @SuppressWarnings("unchecked")
            final Codec<Object> codec = (Codec<Object>) c;
            final Object sample = sample(c);
            final long size = codec.encodedSize(sample);
            rows.add(new Row<>(c + ".encodedSize(null)", x -> codec.encodedSize(null), NullPointerException.class, "value"));
            rows.add(new Row<>(c + ".encode(null, target)", x -> codec.encode(null, arena.allocate(size)),
                    NullPointerException.class, "value"));
            rows.add(new Row<>(c + ".encode(value, null)", x -> codec.encode(sample, null), NullPointerException.class, "target"));
            rows.add(new Row<>(c + ".encode(value, too small)", x -> codec.encode(sample, arena.allocate(size - 1)),
                    IllegalArgumentException.class, c.toString(), "target size must be encodedSize(value) = " + size,
                    "was " + (size - 1)));
            rows.add(new Row<>(c + ".encode(value, too large)", x -> codec.encode(sample, arena.allocate(size + 1)),
                    IllegalArgumentException.class, "was " + (size + 1)));
            rows.add(new Row<>(c + ".decode(null)", x -> codec.decode(null), NullPointerException.class, "source"));
        }
        rows.add(new Row<>("Codec.LONG.decode(4 bytes)", x -> Codec.LONG.decode(arena.allocate(4)),
                IllegalArgumentException.class, "Codec.LONG", "source size must be 8, was 4"));
        return table(new Object(), rows, x -> {
            for (final Codec<?> c : List.of(Codec.STRING, Codec.LONG, Codec.BYTES)) {
                @SuppressWarnings("unchecked")
                final Codec<Object> codec = (Codec<Object>) c;
                final Object sample = sample(c);
                final MemorySegment t = arena.allocate(codec.encodedSize(sample));
                codec.encode(sample, t);
                final Object back = codec.decode(t);
                if (sample instanceof byte[] b) {
                    assertThat((byte[]) back).isEqualTo(b);
                } else {
                    assertThat(back).isEqualTo(sample);
                }
            }
        });
    }

    private static Object sample(final Codec<?> c) {
        return c == Codec.STRING ? "h\u00e9llo" : c == Codec.LONG ? (Object) 42L : new byte[] {1, 2, 3};
    }
}
