package org.smr4j.netinet;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The identity of a connection: protocol, local address and port, foreign address and port,
 * for IPv4 and IPv6 alike. Immutable.
 *
 * <p>Addresses are held as two {@code long}s in IPv6 form; an IPv4 address is held as the
 * IPv4-mapped IPv6 address {@code ::ffff:a.b.c.d}, so an IPv4 key never equals an IPv6 key of
 * another address and one hash and one comparison serve both families.
 *
 * <p>A <em>listener</em> key has the unspecified foreign address and foreign port 0; it names
 * a listening socket, found by {@link ConnectionTable#lookupWildcard wildcard lookup}. Its
 * local address may itself be unspecified ({@link #listener(int, int)}), which matches every
 * local address, like {@code INADDR_ANY}.
 *
 * <p>{@link #hashCode()} is an unkeyed hash, computed on first use and cached; it serves ordinary
 * collections such as the {@code ConcurrentHashMap} strategy. The lockless tables do not use
 * it: they hash with a per-table secret (SipHash-1-3), so that a remote party cannot
 * choose keys that collide. Keys are {@link Comparable} (by their fields), so a
 * {@code ConcurrentHashMap} under a collision flood can keep its long bins as trees.
 *
 * <p>Misuse: a null socket address throws {@link NullPointerException} naming the parameter;
 * a protocol outside [0, 255], a port outside [0, 65535] or an unresolved socket address
 * throws {@link IllegalArgumentException} naming the parameter, the value and the valid
 * range. Null arguments are checked first, then the protocol, then the local side, then the
 * foreign side.
 */
public final class ConnectionKey implements Comparable<ConnectionKey> {

    /** IP protocol number of TCP. */
    public static final int TCP = 6;
    /** IP protocol number of UDP. */
    public static final int UDP = 17;

    private static final long V4_MAPPED_LO = 0x0000_ffff_0000_0000L;

    /**
     * Protocol and ports in one word, {@code protocol << 32 | localPort << 16 | foreignPort}
     * (bits 40 to 63 zero): the word the tables store and compare first, and the first word
     * SipHash reads (see {@link #ports(int, int, int)}).
     */
    private final long ports;
    private final long localHi;
    private final long localLo;
    private final long foreignHi;
    private final long foreignLo;
    /**
     * The unkeyed hash, computed on first use and cached (0: not yet), as {@link String}
     * does: a racy, idempotent write of an int, so at worst computed twice. Lazy because the
     * lockless tables never need it.
     */
    private int hash;
    /**
     * The keyed hash of the last lockless table that hashed this key, as
     * {@code tableId << 32 | hash} (0: none). Read and written opaque: one 64-bit access,
     * so a reader never pairs one table's id with another table's hash. A race between
     * tables only costs a recomputation.
     */
    @SuppressWarnings("unused") // accessed through KEYED_HASH
    private long keyedHash;

    private static final java.lang.invoke.VarHandle KEYED_HASH;

    static {
        try {
            KEYED_HASH = java.lang.invoke.MethodHandles.lookup().findVarHandle(ConnectionKey.class, "keyedHash",
                    long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private ConnectionKey(final int protocol, final long localHi, final long localLo, final int localPort,
            final long foreignHi, final long foreignLo, final int foreignPort) {
        this(checkedPorts(protocol, localPort, foreignPort), localHi, localLo, foreignHi, foreignLo);
    }

    private ConnectionKey(final long ports, final long localHi, final long localLo, final long foreignHi,
            final long foreignLo) {
        this.ports = ports;
        this.localHi = localHi;
        this.localLo = localLo;
        this.foreignHi = foreignHi;
        this.foreignLo = foreignLo;
    }

    /**
     * An IPv4 connection.
     *
     * @param protocol IP protocol number, 0 to 255 ({@link #TCP}, {@link #UDP})
     * @param localAddress local IPv4 address, network byte order in an int ({@code a.b.c.d} is
     *        {@code a << 24 | b << 16 | c << 8 | d})
     * @param localPort 0 to 65535
     * @param foreignAddress foreign IPv4 address
     * @param foreignPort 0 to 65535
     * @return the key
     * @throws IllegalArgumentException if the protocol or a port is out of range
     */
    public static ConnectionKey ipv4(final int protocol, final int localAddress, final int localPort,
            final int foreignAddress, final int foreignPort) {
        return new ConnectionKey(protocol, 0L, mapped(localAddress), localPort, 0L, mapped(foreignAddress),
                foreignPort);
    }

    /**
     * An IPv6 connection, each address given as its high and low 64 bits.
     *
     * @param protocol IP protocol number, 0 to 255
     * @param localHi high 64 bits of the local address
     * @param localLo low 64 bits of the local address
     * @param localPort 0 to 65535
     * @param foreignHi high 64 bits of the foreign address
     * @param foreignLo low 64 bits of the foreign address
     * @param foreignPort 0 to 65535
     * @return the key
     * @throws IllegalArgumentException if the protocol or a port is out of range
     */
    public static ConnectionKey ipv6(final int protocol, final long localHi, final long localLo,
            final int localPort, final long foreignHi, final long foreignLo, final int foreignPort) {
        return new ConnectionKey(protocol, localHi, localLo, localPort, foreignHi, foreignLo, foreignPort);
    }

    /**
     * A connection between two socket addresses of either family (they may differ; an IPv4
     * address is mapped).
     *
     * @param protocol IP protocol number, 0 to 255
     * @param local local address and port
     * @param foreign foreign address and port
     * @return the key
     * @throws NullPointerException if {@code local} or {@code foreign} is null
     * @throws IllegalArgumentException if the protocol is out of range or an address is
     *         unresolved
     */
    public static ConnectionKey of(final int protocol, final InetSocketAddress local,
            final InetSocketAddress foreign) {
        Objects.requireNonNull(local, "local");
        Objects.requireNonNull(foreign, "foreign");
        checkProtocol(protocol);
        final long[] l = words("local", local);
        final long[] f = words("foreign", foreign);
        return new ConnectionKey(protocol, l[0], l[1], local.getPort(), f[0], f[1], foreign.getPort());
    }

    /**
     * A listening socket bound to one IPv4 address.
     *
     * @param protocol IP protocol number, 0 to 255
     * @param localAddress the bound IPv4 address
     * @param localPort 0 to 65535
     * @return the listener key
     * @throws IllegalArgumentException if the protocol or the port is out of range
     */
    public static ConnectionKey listener(final int protocol, final int localAddress, final int localPort) {
        return new ConnectionKey(protocol, 0L, mapped(localAddress), localPort, 0L, 0L, 0);
    }

    /**
     * A listening socket bound to every local address ({@code INADDR_ANY}/{@code ::}).
     *
     * @param protocol IP protocol number, 0 to 255
     * @param localPort 0 to 65535
     * @return the listener key
     * @throws IllegalArgumentException if the protocol or the port is out of range
     */
    public static ConnectionKey listener(final int protocol, final int localPort) {
        return new ConnectionKey(protocol, 0L, 0L, localPort, 0L, 0L, 0);
    }

    /**
     * A listening socket bound to one socket address (of either family; the unspecified
     * address binds every local address).
     *
     * @param protocol IP protocol number, 0 to 255
     * @param local the bound address and port
     * @return the listener key
     * @throws NullPointerException if {@code local} is null
     * @throws IllegalArgumentException if the protocol is out of range or the address is
     *         unresolved
     */
    public static ConnectionKey listener(final int protocol, final InetSocketAddress local) {
        Objects.requireNonNull(local, "local");
        checkProtocol(protocol);
        final long[] l = words("local", local);
        return new ConnectionKey(protocol, l[0], l[1], local.getPort(), 0L, 0L, 0);
    }

    /** {@return the IP protocol number} */
    public int protocol() {
        return (int) (ports >>> 32) & 0xFF;
    }

    /** {@return the local port} */
    public int localPort() {
        return (int) (ports >>> 16) & 0xFFFF;
    }

    /** {@return the foreign port (0 for a listener)} */
    public int foreignPort() {
        return (int) ports & 0xFFFF;
    }

    /**
     * The key of these fields, checked already ({@code ports} packed by
     * {@link #checkedPorts}): the map strategies' field lookups, which need a key object.
     */
    static ConnectionKey ofFields(final long ports, final long localHi, final long localLo, final long foreignHi,
            final long foreignLo) {
        return new ConnectionKey(ports, localHi, localLo, foreignHi, foreignLo);
    }

    /** The packed protocol and ports; see the field. */
    long ports() {
        return ports;
    }

    /** {@return the high 64 bits of the local address (IPv6 form)} */
    public long localHi() {
        return localHi;
    }

    /** {@return the low 64 bits of the local address (IPv6 form)} */
    public long localLo() {
        return localLo;
    }

    /** {@return the high 64 bits of the foreign address (IPv6 form)} */
    public long foreignHi() {
        return foreignHi;
    }

    /** {@return the low 64 bits of the foreign address (IPv6 form)} */
    public long foreignLo() {
        return foreignLo;
    }

    /** {@return true if this key names a listening socket (no foreign address and port)} */
    public boolean isListener() {
        return isListener(ports, foreignHi, foreignLo);
    }

    /** Whether these fields name a listener: no foreign address and foreign port 0. */
    static boolean isListener(final long ports, final long foreignHi, final long foreignLo) {
        return (foreignHi | foreignLo | (ports & 0xFFFF)) == 0L;
    }

    /** {@return true if the local address is unspecified (a wildcard listener)} */
    public boolean isLocalWildcard() {
        return localHi == 0L && localLo == 0L;
    }

    /** {@return true if both addresses are IPv4 (mapped), or unspecified} */
    public boolean isIpv4() {
        return isV4(localHi, localLo) && isV4(foreignHi, foreignLo);
    }

    /**
     * The local address.
     *
     * @return an {@link Inet4Address} for a mapped IPv4 address, else an {@link Inet6Address}
     */
    public InetAddress localAddress() {
        return address(localHi, localLo);
    }

    /** {@return the foreign address, as {@link #localAddress()}} */
    public InetAddress foreignAddress() {
        return address(foreignHi, foreignLo);
    }

    /**
     * Returns the key with the same protocol and local address and port, and no foreign side:
     * the listener that would accept this connection. Used by wildcard lookup.
     *
     * @return the listener key
     */
    public ConnectionKey toListener() {
        return isListener() ? this : new ConnectionKey(ports & ~0xFFFFL, localHi, localLo, 0L, 0L);
    }

    /**
     * This key's hash under {@code hasher}, cached for the table {@code tableId} (the way
     * {@link String} caches its hash, and this class its unkeyed one): a server that keeps a
     * connection's key object pays SipHash once per key and table, not per packet. Table id 0
     * means "do not cache".
     */
    int keyedHash(final int tableId, final SipHash hasher) {
        final long cached = (long) KEYED_HASH.getOpaque(this);
        if ((int) (cached >>> 32) == tableId && tableId != 0) {
            return (int) cached;
        }
        final int folded = hasher.folded(ports, localHi, localLo, foreignHi, foreignLo);
        if (tableId != 0) {
            KEYED_HASH.setOpaque(this, (long) tableId << 32 | (folded & 0xFFFF_FFFFL));
        }
        return folded;
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ConnectionKey k && ports == k.ports && foreignLo == k.foreignLo && localLo == k.localLo
                && foreignHi == k.foreignHi && localHi == k.localHi;
    }

    @Override
    public int hashCode() {
        int h = hash;
        if (h == 0) {
            h = unkeyedHash();
            hash = h == 0 ? 1 : h;
        }
        return h == 0 ? 1 : h;
    }

    /**
     * Orders keys by their fields (protocol, local address, local port, foreign address,
     * foreign port), consistently with {@link #equals}.
     *
     * @param o the other key
     * @return negative, zero or positive as this key is less than, equal to or greater than
     *         {@code o}
     * @throws NullPointerException if {@code o} is null
     */
    @Override
    public int compareTo(final ConnectionKey o) {
        Objects.requireNonNull(o, "o");
        int c = Integer.compare(protocol(), o.protocol());
        if (c == 0) c = Long.compare(localHi, o.localHi);
        if (c == 0) c = Long.compare(localLo, o.localLo);
        if (c == 0) c = Integer.compare(localPort(), o.localPort());
        if (c == 0) c = Long.compare(foreignHi, o.foreignHi);
        if (c == 0) c = Long.compare(foreignLo, o.foreignLo);
        if (c == 0) c = Integer.compare(foreignPort(), o.foreignPort());
        return c;
    }

    /** Formats as {@code tcp 10.0.0.1:80 <- 192.0.2.7:51000} (IPv6 in brackets). */
    @Override
    public String toString() {
        final int protocol = protocol();
        final String proto = switch (protocol) {
            case TCP -> "tcp";
            case UDP -> "udp";
            default -> "proto" + protocol;
        };
        final String local = format(localHi, localLo) + ':' + localPort();
        return isListener() ? proto + ' ' + local + " (listen)"
                : proto + ' ' + local + " <- " + format(foreignHi, foreignLo) + ':' + foreignPort();
    }

    // ------------------------------------------------------------------ helpers

    private int unkeyedHash() {
        long h = protocol() * 0x9E3779B97F4A7C15L;
        h = (h ^ localHi) * 0xBF58476D1CE4E5B9L;
        h = (h ^ localLo) * 0x94D049BB133111EBL;
        h = (h ^ (ports & 0xFFFF_FFFFL)) * 0x9E3779B97F4A7C15L;
        h = (h ^ foreignHi) * 0xBF58476D1CE4E5B9L;
        h = (h ^ foreignLo) * 0x94D049BB133111EBL;
        return (int) (h ^ (h >>> 32));
    }

    /** The IPv4-mapped form; 0.0.0.0 ({@code INADDR_ANY}) is the unspecified address. */
    static long mapped(final int v4) {
        return v4 == 0 ? 0L : V4_MAPPED_LO | (v4 & 0xFFFF_FFFFL);
    }

    private static boolean isV4(final long hi, final long lo) {
        return hi == 0L && (lo == 0L || (lo & 0xFFFF_FFFF_0000_0000L) == V4_MAPPED_LO);
    }

    /**
     * The packed word of {@link #ports}, after checking the ranges (protocol, then local port,
     * then foreign port), with the messages of the factories.
     */
    static long checkedPorts(final int protocol, final int localPort, final int foreignPort) {
        if (((protocol & ~0xFF) | (localPort & ~0xFFFF) | (foreignPort & ~0xFFFF)) != 0) {
            checkProtocol(protocol);
            checkPort("localPort", localPort);
            checkPort("foreignPort", foreignPort);
        }
        return ports(protocol, localPort, foreignPort);
    }

    /** {@code protocol << 32 | localPort << 16 | foreignPort}, for values in range. */
    static long ports(final int protocol, final int localPort, final int foreignPort) {
        return (long) protocol << 32 | (long) localPort << 16 | foreignPort;
    }

    private static int checkProtocol(final int protocol) {
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException("protocol must be in [0, 255], was " + protocol);
        }
        return protocol;
    }

    private static int checkPort(final String what, final int port) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException(what + " must be in [0, 65535], was " + port);
        }
        return port;
    }

    private static long[] words(final String what, final InetSocketAddress sa) {
        final InetAddress a = sa.getAddress();
        if (a == null) {
            throw new IllegalArgumentException(what + " must be a resolved address, was unresolved " + sa);
        }
        final byte[] b = a.getAddress();
        if (b.length == 4) {
            final int v4 = (b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | (b[3] & 0xFF);
            return new long[] {0L, mapped(v4)};
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = hi << 8 | (b[i] & 0xFF);
            lo = lo << 8 | (b[i + 8] & 0xFF);
        }
        return new long[] {hi, lo};
    }

    private static InetAddress address(final long hi, final long lo) {
        try {
            if (hi == 0L && (lo & 0xFFFF_FFFF_0000_0000L) == V4_MAPPED_LO) {
                final int v = (int) lo;
                return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8),
                        (byte) v});
            }
            final byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[i + 8] = (byte) (lo >>> (56 - 8 * i));
            }
            return InetAddress.getByAddress(b);
        } catch (final java.net.UnknownHostException e) {
            throw new AssertionError(e); // cannot happen: the length is 4 or 16
        }
    }

    private static String format(final long hi, final long lo) {
        if (hi == 0L && lo == 0L) {
            return "*";
        }
        final InetAddress a = address(hi, lo);
        return a instanceof Inet6Address ? '[' + a.getHostAddress() + ']' : a.getHostAddress();
    }
}
