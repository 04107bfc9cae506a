package org.smr4j.offheap;

import java.lang.foreign.MemorySegment;

/**
 * Turns values into bytes and back, for the keys and values of an {@link OffHeapMap}.
 *
 * <p>Assumptions (what an implementation promises): {@link #encode} writes exactly
 * {@link #encodedSize} bytes; {@link #decode} of those bytes returns a value equal to the one
 * encoded. A key codec is also <em>canonical</em>: two keys are {@link Object#equals equal} if
 * and only if their encodings are the same bytes, because the map hashes and compares keys by
 * their stored bytes. The map compares values by their bytes too ({@code replace(k, old, new)},
 * {@code remove(k, v)}, {@code containsValue}).
 *
 * <p>Built-ins:
 * <ul>
 *   <li>{@link #STRING}: UTF-8. Unpaired surrogates, which UTF-8 cannot express, are written as
 *       their three-byte form (WTF-8), so that the encoding stays canonical for every
 *       {@link String}; well-formed strings get standard UTF-8.</li>
 *   <li>{@link #LONG}: eight bytes, little-endian.</li>
 *   <li>{@link #BYTES}: a {@code byte[]} copied as is. Values only: Java's {@code byte[]}
 *       compares by identity, so a map keyed by arrays could never find a key again with
 *       another array of the same content; {@link OffHeapMap#builder} refuses it as a key codec
 *       ({@link #keyable()} is false). As a value it compares by content, as said above.</li>
 * </ul>
 *
 * <p>Misuse (the built-ins): a null value, target or source throws
 * {@link NullPointerException} naming it ({@code "value"}, {@code "target"},
 * {@code "source"}); a target whose size is not {@link #encodedSize encodedSize(value)}, or a
 * {@link #LONG} source that is not eight bytes, throws {@link IllegalArgumentException} naming
 * the codec, the size and the size required. Nothing is written then.
 * <p>Codecs are called by many threads at once and must be stateless or thread-safe.
 * {@code decode} is called inside a read section: it must not block, and must copy what it
 * keeps (the segment is valid only during the call).
 *
 * @param <T> the type of the values
 */
public interface Codec<T> {
    /** UTF-8 strings (unpaired surrogates as WTF-8, see the class documentation). */
    @SuppressWarnings("ClassInitializationDeadlock") // the Codecs classes are package-private, built only here
    Codec<String> STRING = new Codecs.Utf8();
    /** {@code Long} values, eight bytes little-endian. */
    @SuppressWarnings("ClassInitializationDeadlock") // the Codecs classes are package-private, built only here
    Codec<Long> LONG = new Codecs.Int64();
    /** {@code byte[]} values copied as is; not allowed as a key codec. */
    @SuppressWarnings("ClassInitializationDeadlock") // the Codecs classes are package-private, built only here
    Codec<byte[]> BYTES = new Codecs.Bytes();

    /**
     * Returns the class of the values, which the map uses to tell whether an {@code Object}
     * passed to {@code get}, {@code containsKey} or {@code remove} can be a key at all.
     *
     * @return the value class
     */
    Class<T> type();

    /**
     * Returns the number of bytes {@link #encode} writes for {@code value}.
     *
     * @param value a value, not null
     * @return its encoded size, from 0 to 2<sup>31</sup> - 64
     */
    long encodedSize(T value);

    /**
     * Writes {@code value}'s encoding into {@code target}, whose size is
     * {@link #encodedSize encodedSize(value)}.
     *
     * @param value a value, not null
     * @param target where to write
     */
    void encode(T value, MemorySegment target);

    /**
     * Reads a value from its encoding; {@code source} is read-only and valid only during the call.
     *
     * @param source the encoded bytes, exactly as written by {@link #encode}
     * @return the value
     */
    T decode(MemorySegment source);

    /**
     * Returns whether this codec may encode keys: whether equal values have equal encodings and
     * equal encodings come from equal values. True by default; false for {@link #BYTES}.
     *
     * @return true if usable as a key codec
     */
    default boolean keyable() {
        return true;
    }
}
