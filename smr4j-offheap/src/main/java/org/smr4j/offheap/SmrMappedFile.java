package org.smr4j.offheap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.smr4j.Smr;
import org.smr4j.SmrRetireQueue;

/**
 * A read-only mapping of a file region that is unmapped once no reader of an {@link Smr}
 * domain can still be inside it, without the JDK's per-close handshake: the model user is an
 * index reader (Lucene's) that maps many files, reads them from many threads inside read
 * sections, and drops files as they are merged away.
 *
 * <p>{@link #close()} hands the {@code munmap(2)} to an {@link SmrRetireQueue} of the domain:
 * it runs once every section entered before the close has exited (batched, one advance per
 * batch of the queue), on whichever thread drives the queue ({@link SmrRetireQueue#poll()},
 * its next {@code retire}, its background thread if it has one, or
 * {@link SmrRetireQueue#awaitAll()}). Compare one shared {@link Arena} per file, whose close
 * runs a handshake with every thread of the process (see the benchmark in
 * {@code smr4j-bench}, {@code offheap.MappedUnmapBenchmark}).
 *
 * <h2>Example</h2>
 * <pre>{@code
 * SmrRetireQueue unmapper = SmrRetireQueue.create("index-files", smr);
 * SmrMappedFile seg0 = SmrMappedFile.open(Path.of("_0.cfs"), unmapper);
 * // readers, any thread
 * smr.enter();
 * try { long v = seg0.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 128); } finally { smr.exit(); }
 * // the writer drops the file: unmapped once no reader can be inside
 * seg0.close();
 * }</pre>
 *
 * <h2>Use after close</h2>
 * Readers must find the mapping inside a section, and must not keep its segment beyond the
 * section. A reader that does, and reads after the unmap, touches unmapped memory: the JVM may
 * crash with {@code SIGSEGV}, as with {@code sun.misc.Unsafe}. This is the price of having no
 * handshake: the segment's scope is the global one (its memory is unmapped by this class, not
 * by an arena). {@link #segment()} after {@code close()} throws {@link IllegalStateException}.
 *
 * <h2>Requirements</h2>
 * Linux ({@code open}, {@code mmap}, {@code munmap}, {@code close} through
 * {@code java.lang.foreign}); native access for the module ({@code --enable-native-access=org.smr4j.offheap}
 * or {@code ALL-UNNAMED}), without which the JDK prints a warning on first use.
 *
 * <h2>Memory consistency effects</h2>
 * The file's bytes are whatever the page cache holds; the mapping is {@code MAP_SHARED}, so
 * writes by other processes may become visible at any time (Lucene's files are immutable once
 * written). {@code close()} happens-before the unmap; the exits of every section entered before
 * the close happen-before it too.
 */
public final class SmrMappedFile implements AutoCloseable {
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 0x80000;
    private static final int PROT_READ = 1;
    private static final int MAP_SHARED = 1;

    private final Path path;
    private final long offset;
    private final long length;
    private final SmrRetireQueue unmapper;
    /** The mapping's start (page-aligned) and length, for munmap; 0 for an empty region. */
    private final long mapAddress;
    private final long mapLength;
    private final MemorySegment segment;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SmrMappedFile(final Path path, final long offset, final long length, final SmrRetireQueue unmapper,
                          final long mapAddress, final long mapLength, final MemorySegment segment) {
        this.path = path;
        this.offset = offset;
        this.length = length;
        this.unmapper = unmapper;
        this.mapAddress = mapAddress;
        this.mapLength = mapLength;
        this.segment = segment;
    }

    /**
     * Maps the whole of {@code file} read-only.
     *
     * @param file the file
     * @param unmapper the retire queue that runs the unmap once no reader of its domain can be inside
     * @return the mapping
     * @throws NullPointerException if an argument is null
     * @throws IOException if the file cannot be opened, sized or mapped (the message has errno)
     * @throws IllegalStateException if {@code unmapper} is closed
     */
    public static SmrMappedFile open(final Path file, final SmrRetireQueue unmapper) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(unmapper, "unmapper");
        return open(file, 0, Files.size(file), unmapper);
    }

    /**
     * Maps {@code length} bytes of {@code file} from {@code offset}, read-only.
     *
     * @param file the file
     * @param offset where the region starts, from 0 to the file's size
     * @param length the region's length, from 0 to the file's size minus {@code offset}
     * @param unmapper the retire queue that runs the unmap once no reader of its domain can be inside
     * @return the mapping
     * @throws NullPointerException if {@code file} or {@code unmapper} is null
     * @throws IllegalArgumentException if {@code offset} or {@code length} is out of range
     * @throws IOException if the file cannot be opened or mapped (the message has errno)
     * @throws UnsupportedOperationException if not on Linux
     */
    @SuppressWarnings("restricted") // reinterpret: the mapping's length, which mmap just returned
    public static SmrMappedFile open(final Path file, final long offset, final long length,
                                     final SmrRetireQueue unmapper) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(unmapper, "unmapper");
        final long size = Files.size(file);
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException("mapped file " + file + ": offset " + offset + " out of range [0, " + size + "]");
        }
        if (length < 0 || length > size - offset) {
            throw new IllegalArgumentException("mapped file " + file + ": length " + length + " out of range [0, "
                    + (size - offset) + "]");
        }
        if (length == 0) {
            return new SmrMappedFile(file, offset, 0, unmapper, 0, 0, MemorySegment.NULL.asReadOnly());
        }
        final Native n = Native.get();
        final long page = 4096;
        final long start = offset & -page;
        final long mapLength = length + (offset - start);
        final long addr;
        try (Arena scratch = Arena.ofConfined()) {
            final MemorySegment state = scratch.allocate(Native.CAPTURE_LAYOUT);
            final MemorySegment cpath = scratch.allocateFrom(file.toAbsolutePath().toString());
            final int fd = (int) n.open.invokeExact(state, cpath, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("mapped file " + file + ": open failed, errno " + Native.errno(state));
            }
            try {
                final MemorySegment m = (MemorySegment) n.mmap.invokeExact(state, MemorySegment.NULL, mapLength,
                        PROT_READ, MAP_SHARED, fd, start);
                if (m.address() == -1L) {
                    throw new IOException("mapped file " + file + ": mmap of " + mapLength + " bytes at " + start
                            + " failed, errno " + Native.errno(state));
                }
                addr = m.address();
            } finally {
                final int rc = (int) n.close.invokeExact(state, fd);
                assert rc == 0 : "close(" + fd + ") = " + rc;
            }
        } catch (final IOException | RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("mapped file " + file + ": native call failed", t);
        }
        final MemorySegment seg = MemorySegment.ofAddress(addr).reinterpret(mapLength)
                .asSlice(offset - start, length).asReadOnly();
        // ORDER: release fence; the mapping's fields before the object is published by the caller.
        VarHandle.releaseFence();
        return new SmrMappedFile(file, offset, length, unmapper, addr, mapLength, seg);
    }

    /**
     * Returns the mapped region, read-only. Readers use it inside sections of {@link #smr()}
     * and do not keep it beyond them; see "Use after close".
     *
     * @return the region's segment
     * @throws IllegalStateException if the mapping is closed
     */
    public MemorySegment segment() {
        if (closed.get()) {
            throw new IllegalStateException("mapped file " + path + ": segment() after close() (thread "
                    + Thread.currentThread() + ")");
        }
        return segment;
    }

    /**
     * Returns the domain whose readers the unmap waits for.
     *
     * @return the retire queue's domain
     */
    public Smr smr() {
        return unmapper.smr();
    }

    /**
     * Returns the mapped file.
     *
     * @return the path given to {@code open}
     */
    public Path path() {
        return path;
    }

    /**
     * Returns the region's offset in the file.
     *
     * @return the offset
     */
    public long offset() {
        return offset;
    }

    /**
     * Returns the region's length.
     *
     * @return the length in bytes
     */
    public long length() {
        return length;
    }

    /**
     * Returns whether {@link #close()} was called (the unmap itself may still be pending).
     *
     * @return true once closed
     */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Drops the mapping: {@link #segment()} is refused from now on, and the region is unmapped
     * by the retire queue once no reader that entered a section of its domain before this call
     * can still be inside. Never blocks, never runs a handshake; allowed inside a section.
     * Idempotent.
     *
     * @throws IllegalStateException if the retire queue is closed (the mapping then stays open)
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (mapLength == 0) {
            return;
        }
        try {
            unmapper.retire(this, SmrMappedFile::unmap);
        } catch (final RuntimeException e) {
            closed.set(false);
            throw e;
        }
    }

    private void unmap() {
        final OffHeapEvents.Unmap event = OffHeapEvents.recording() ? new OffHeapEvents.Unmap() : null;
        try {
            final int rc = (int) Native.get().munmap.invokeExact(mapAddress, mapLength);
            if (rc != 0) {
                throw new IllegalStateException("mapped file " + path + ": munmap failed (" + rc + ")");
            }
        } catch (final RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("mapped file " + path + ": munmap failed", t);
        }
        if (event != null) {
            event.file = path.toString();
            event.bytes = mapLength;
            event.commit();
        }
    }

    @Override
    public String toString() {
        return "SmrMappedFile[" + path + ", offset " + offset + ", length " + length + (closed.get() ? ", closed" : "") + "]";
    }

    /** The libc downcalls, bound once. */
    private static final class Native {
        static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
        private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        private static volatile Native instance;

        final MethodHandle open;
        final MethodHandle mmap;
        final MethodHandle munmap;
        final MethodHandle close;

        @SuppressWarnings("restricted") // downcalls to libc with the signatures of open(2), mmap(2), munmap(2), close(2)
        private Native() {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                throw new UnsupportedOperationException("SmrMappedFile needs Linux (mmap/munmap through java.lang.foreign)");
            }
            final Linker linker = Linker.nativeLinker();
            final Linker.Option errno = Linker.Option.captureCallState("errno");
            final var lookup = linker.defaultLookup();
            this.open = linker.downcallHandle(lookup.findOrThrow("open"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    errno, Linker.Option.firstVariadicArg(2));
            this.mmap = linker.downcallHandle(lookup.findOrThrow("mmap"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), errno);
            this.munmap = linker.downcallHandle(lookup.findOrThrow("munmap"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            this.close = linker.downcallHandle(lookup.findOrThrow("close"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), errno);
        }

        static Native get() {
            Native n = instance;
            if (n == null) {
                synchronized (Native.class) {
                    n = instance;
                    if (n == null) {
                        instance = n = new Native();
                    }
                }
            }
            return n;
        }

        static int errno(final MemorySegment state) {
            return (int) ERRNO.get(state, 0L);
        }
    }
}
