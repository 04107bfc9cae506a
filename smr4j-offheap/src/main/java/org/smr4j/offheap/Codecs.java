package org.smr4j.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/** The built-in codecs of {@link Codec}, and the map's key-to-bytes helper. */
final class Codecs {
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

    private Codecs() {
    }

    /** A key's encoding as a heap array (the lookup's one allocation for STRING and custom keys). */
    @SuppressWarnings("unchecked")
    static <T> byte[] toBytes(final Codec<T> codec, final T value) {
        if (codec instanceof Utf8) {
            return Utf8.bytes((String) value);
        }
        final long n = codec.encodedSize(value);
        checkSize(n, codec);
        final byte[] b = new byte[(int) n];
        codec.encode(value, MemorySegment.ofArray(b));
        return b;
    }

    static void checkSize(final long n, final Codec<?> codec) {
        if (n < 0 || n > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("codec " + codec + ": encodedSize " + n + " out of range [0, "
                    + (Integer.MAX_VALUE - 64) + "]");
        }
    }

    /**
     * The built-ins' check of encode's target: not null, and exactly the encoded size (a
     * larger one would leave bytes the map then stores as part of the value; a smaller one
     * failed inside the copy with an IndexOutOfBoundsException).
     */
    static MemorySegment checkTarget(final Codec<?> codec, final MemorySegment target, final long size) {
        if (Objects.requireNonNull(target, "target").byteSize() != size) {
            throw new IllegalArgumentException(codec + ": target size must be encodedSize(value) = " + size + ", was "
                    + target.byteSize());
        }
        return target;
    }

    /** UTF-8, unpaired surrogates as their three-byte form (WTF-8), so the encoding is canonical. */
    static final class Utf8 implements Codec<String> {
        @Override
        public Class<String> type() {
            return String.class;
        }

        @Override
        public long encodedSize(final String s) {
            return size(Objects.requireNonNull(s, "value"));
        }

        static long size(final String s) {
            long n = 0;
            for (int i = 0; i < s.length(); i++) {
                final char c = s.charAt(i);
                if (c < 0x80) {
                    n++;
                } else if (c < 0x800) {
                    n += 2;
                } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    n += 4;
                    i++;
                } else {
                    n += 3;
                }
            }
            return n;
        }

        @Override
        public void encode(final String s, final MemorySegment target) {
            final byte[] b = bytes(Objects.requireNonNull(s, "value"));
            MemorySegment.copy(b, 0, checkTarget(this, target, b.length), ValueLayout.JAVA_BYTE, 0, b.length);
        }

        static byte[] bytes(final String s) {
            final int len = s.length();
            final byte[] ascii = new byte[len];
            int n = 0;
            for (; n < len; n++) {
                final char c = s.charAt(n);
                if (c >= 0x80) {
                    break;
                }
                ascii[n] = (byte) c;
            }
            if (n == len) {
                return ascii; // all ASCII: one pass, one array
            }
            final byte[] out = new byte[(int) size(s)];
            int o = 0;
            for (int i = 0; i < len; i++) {
                final char c = s.charAt(i);
                if (c < 0x80) {
                    out[o++] = (byte) c;
                } else if (c < 0x800) {
                    out[o++] = (byte) (0xC0 | (c >> 6));
                    out[o++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    final int cp = Character.toCodePoint(c, s.charAt(++i));
                    out[o++] = (byte) (0xF0 | (cp >> 18));
                    out[o++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    out[o++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    out[o++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    out[o++] = (byte) (0xE0 | (c >> 12));      // includes an unpaired surrogate (WTF-8)
                    out[o++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    out[o++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            return out;
        }

        @Override
        public String decode(final MemorySegment source) {
            final byte[] b = Objects.requireNonNull(source, "source").toArray(ValueLayout.JAVA_BYTE);
            boolean plain = true;
            for (int i = 0; i + 1 < b.length; i++) {
                if ((b[i] & 0xFF) == 0xED && (b[i + 1] & 0xE0) == 0xA0) {
                    plain = false; // an encoded surrogate: the JDK decoder would replace it
                    break;
                }
            }
            if (plain) {
                return new String(b, StandardCharsets.UTF_8);
            }
            final StringBuilder sb = new StringBuilder(b.length);
            int i = 0;
            while (i < b.length) {
                final int x = b[i] & 0xFF;
                if (x < 0x80) {
                    sb.append((char) x);
                    i++;
                } else if (x < 0xE0) {
                    sb.append((char) (((x & 0x1F) << 6) | (b[i + 1] & 0x3F)));
                    i += 2;
                } else if (x < 0xF0) {
                    sb.append((char) (((x & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F)));
                    i += 3;
                } else {
                    sb.appendCodePoint(((x & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F));
                    i += 4;
                }
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return "Codec.STRING";
        }
    }

    /** Eight bytes, little-endian. */
    static final class Int64 implements Codec<Long> {
        @Override
        public Class<Long> type() {
            return Long.class;
        }

        @Override
        public long encodedSize(final Long value) {
            Objects.requireNonNull(value, "value");
            return Long.BYTES;
        }

        @Override
        public void encode(final Long value, final MemorySegment target) {
            Objects.requireNonNull(value, "value");
            checkTarget(this, target, Long.BYTES).set(LONG_LE, 0, value);
        }

        @Override
        public Long decode(final MemorySegment source) {
            if (Objects.requireNonNull(source, "source").byteSize() != Long.BYTES) {
                throw new IllegalArgumentException(this + ": source size must be " + Long.BYTES + ", was "
                        + source.byteSize());
            }
            return source.get(LONG_LE, 0);
        }

        @Override
        public String toString() {
            return "Codec.LONG";
        }
    }

    /** byte[] copied as is; values only. */
    static final class Bytes implements Codec<byte[]> {
        @Override
        public Class<byte[]> type() {
            return byte[].class;
        }

        @Override
        public long encodedSize(final byte[] value) {
            return Objects.requireNonNull(value, "value").length;
        }

        @Override
        public void encode(final byte[] value, final MemorySegment target) {
            Objects.requireNonNull(value, "value");
            MemorySegment.copy(value, 0, checkTarget(this, target, value.length), ValueLayout.JAVA_BYTE, 0, value.length);
        }

        @Override
        public byte[] decode(final MemorySegment source) {
            return Objects.requireNonNull(source, "source").toArray(ValueLayout.JAVA_BYTE);
        }

        @Override
        public boolean keyable() {
            return false;
        }

        @Override
        public String toString() {
            return "Codec.BYTES";
        }
    }
}
