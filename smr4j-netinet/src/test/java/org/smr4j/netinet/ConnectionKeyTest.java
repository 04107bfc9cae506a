package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.smr4j.testsupport.Seed;

/**
 * {@link ConnectionKey}: the factories and what they store (their refusals are in
 * {@link ConnectionKeyContractTest}), IPv4 held as IPv4-mapped IPv6, the round trip through
 * {@link InetSocketAddress}, listeners, formatting, and the consistency of equals, hashCode
 * and compareTo on random keys.
 */
@ExtendWith(Seed.Extension.class)
class ConnectionKeyTest {

    private static final int TCP = ConnectionKey.TCP;
    private static final long MAPPED = 0x0000_ffff_0000_0000L;

    static InetAddress addr(final String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no name service lookup
        } catch (final UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetSocketAddress sa(final String literal, final int port) {
        return new InetSocketAddress(addr(literal), port);
    }

    // ------------------------------------------------------------------ factories

    @Test
    void ipv4StoresMappedAddresses() {
        final ConnectionKey k = ConnectionKey.ipv4(TCP, 0x0A000001, 80, 0xC0000207, 51_000);
        assertThat(k.protocol()).isEqualTo(TCP);
        assertThat(k.localHi()).isZero();
        assertThat(k.localLo()).isEqualTo(MAPPED | 0x0A000001L);
        assertThat(k.localPort()).isEqualTo(80);
        assertThat(k.foreignHi()).isZero();
        assertThat(k.foreignLo()).isEqualTo(MAPPED | 0xC0000207L);
        assertThat(k.foreignPort()).isEqualTo(51_000);
        assertThat(k.isIpv4()).isTrue();
        assertThat(k.isListener()).isFalse();
        assertThat(k.isLocalWildcard()).isFalse();
        assertThat(k.localAddress()).isInstanceOf(Inet4Address.class).isEqualTo(addr("10.0.0.1"));
        assertThat(k.foreignAddress()).isEqualTo(addr("192.0.2.7"));
        assertThat(k).hasToString("tcp 10.0.0.1:80 <- 192.0.2.7:51000");
        // High bit set in an address must not sign-extend into the mapping prefix.
        assertThat(ConnectionKey.ipv4(TCP, 0xFFFFFFFF, 1, 0x80000000, 2).localLo()).isEqualTo(MAPPED | 0xFFFFFFFFL);
    }

    @Test
    void ipv6StoresTheWords() {
        final ConnectionKey k = ConnectionKey.ipv6(ConnectionKey.UDP, 0x20010db800000000L, 1L, 53,
                0x20010db800000000L, 2L, 5353);
        assertThat(k.localHi()).isEqualTo(0x20010db800000000L);
        assertThat(k.localLo()).isEqualTo(1L);
        assertThat(k.foreignLo()).isEqualTo(2L);
        assertThat(k.isIpv4()).isFalse();
        assertThat(k.localAddress()).isInstanceOf(Inet6Address.class).isEqualTo(addr("2001:db8::1"));
        assertThat(k).hasToString("udp [2001:db8:0:0:0:0:0:1]:53 <- [2001:db8:0:0:0:0:0:2]:5353");
    }

    @Test
    void socketAddressFactoryMapsIpv4AndKeepsIpv6() {
        assertThat(ConnectionKey.of(TCP, sa("10.0.0.1", 80), sa("192.0.2.7", 51_000)))
                .isEqualTo(ConnectionKey.ipv4(TCP, 0x0A000001, 80, 0xC0000207, 51_000));
        assertThat(ConnectionKey.of(TCP, sa("2001:db8::1", 443), sa("2001:db8::2", 5000)))
                .isEqualTo(ConnectionKey.ipv6(TCP, 0x20010db800000000L, 1, 443, 0x20010db800000000L, 2, 5000));
        // Mixed families are allowed; the IPv4 side is mapped.
        final ConnectionKey mixed = ConnectionKey.of(TCP, sa("2001:db8::1", 443), sa("192.0.2.7", 5000));
        assertThat(mixed.foreignLo()).isEqualTo(MAPPED | 0xC0000207L);
        assertThat(mixed.isIpv4()).isFalse();
    }

    @Test
    void ipv4MappedIpv6AddressIsTheIpv4Key() throws UnknownHostException {
        final byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 1};
        // Inet6Address.getByAddress keeps the 16-byte form (InetAddress.getByAddress would
        // already hand back an Inet4Address).
        final InetAddress v6form = Inet6Address.getByAddress(null, mapped, -1);
        assertThat(v6form).isInstanceOf(Inet6Address.class);
        final ConnectionKey viaV6 = ConnectionKey.of(TCP, new InetSocketAddress(v6form, 80), sa("192.0.2.7", 9));
        final ConnectionKey viaV4 = ConnectionKey.ipv4(TCP, 0x0A000001, 80, 0xC0000207, 9);
        assertThat(viaV6).isEqualTo(viaV4).hasSameHashCodeAs(viaV4);
        assertThat(viaV6.compareTo(viaV4)).isZero();
        assertThat(ConnectionKey.ipv6(TCP, 0, MAPPED | 0x0A000001L, 80, 0, MAPPED | 0xC0000207L, 9)).isEqualTo(viaV4);
        assertThat(viaV6.isIpv4()).isTrue();
        assertThat(viaV6.localAddress()).isInstanceOf(Inet4Address.class);
    }

    @Test
    void listeners() {
        final ConnectionKey bound = ConnectionKey.listener(TCP, 0x0A000001, 80);
        final ConnectionKey any = ConnectionKey.listener(TCP, 80);
        assertThat(bound.isListener()).isTrue();
        assertThat(bound.isLocalWildcard()).isFalse();
        assertThat(bound).hasToString("tcp 10.0.0.1:80 (listen)");
        assertThat(any.isListener()).isTrue();
        assertThat(any.isLocalWildcard()).isTrue();
        assertThat(any.isIpv4()).as("unspecified counts as IPv4").isTrue();
        assertThat(any).hasToString("tcp *:80 (listen)");
        assertThat(bound).isNotEqualTo(any);
        final ConnectionKey conn = ConnectionKey.ipv4(TCP, 0x0A000001, 80, 0xC0000207, 51_000);
        assertThat(conn.toListener()).isEqualTo(bound);
        assertThat(bound.toListener()).isSameAs(bound);
        assertThat(ConnectionKey.listener(TCP, sa("10.0.0.1", 80))).isEqualTo(bound);
        assertThat(ConnectionKey.listener(TCP, sa("0.0.0.0", 80))).isEqualTo(any);
        assertThat(ConnectionKey.listener(TCP, sa("::", 80))).isEqualTo(any);
        assertThat(ConnectionKey.listener(TCP, sa("2001:db8::1", 80)).isListener()).isTrue();
        assertThat(ConnectionKey.listener(ConnectionKey.UDP, 80)).isNotEqualTo(any);
        assertThat(ConnectionKey.listener(132, 80)).hasToString("proto132 *:80 (listen)");
    }

    // Validation (null, out-of-range and unresolved arguments): ConnectionKeyContractTest.

    // ------------------------------------------------------------------ round trip

    @Test
    void socketAddressRoundTrip(final Seed seed) {
        final SplittableRandom r = seed.random();
        for (int i = 0; i < 20_000; i++) {
            final ConnectionKey k = randomKey(r);
            final ConnectionKey back = ConnectionKey.of(k.protocol(),
                    new InetSocketAddress(k.localAddress(), k.localPort()),
                    new InetSocketAddress(k.foreignAddress(), k.foreignPort()));
            assertThat(back).as("round trip of %s", k).isEqualTo(k);
            assertThat(back.toString()).isEqualTo(k.toString());
        }
    }

    /**
     * Regression test (commit ff9e3a8). Before the fix the int factories mapped 0.0.0.0
     * ({@code INADDR_ANY}) to {@code ::ffff:0.0.0.0}, while the {@link InetSocketAddress}
     * factories mapped it to the unspecified address. So {@code listener(TCP, 0, 80)}, an IPv4
     * socket bound to INADDR_ANY, was not the wildcard listener {@code listener(TCP, 80)}:
     * wildcard lookup never found it, and the key did not survive a round trip through
     * {@link #socketAddressRoundTrip its socket addresses}. The same held for a foreign
     * 0.0.0.0:0 ({@code ipv4(TCP, a, p, 0, 0).isListener()} was false).
     */
    @Test
    void ipv4AnyAddressIsTheUnspecifiedAddressInEveryFactory() {
        assertThat(ConnectionKey.listener(TCP, 0, 80)).isEqualTo(ConnectionKey.listener(TCP, sa("0.0.0.0", 80)));
        assertThat(ConnectionKey.listener(TCP, 0, 80).isLocalWildcard()).isTrue();
        final ConnectionKey k = ConnectionKey.ipv4(TCP, 0, 80, 0xC0000207, 9);
        assertThat(ConnectionKey.of(TCP, new InetSocketAddress(k.localAddress(), 80), sa("192.0.2.7", 9)))
                .isEqualTo(k);
        assertThat(ConnectionKey.ipv4(TCP, 0x0A000001, 80, 0, 0).isListener()).isTrue();
    }

    // ------------------------------------------------------------------ equality and order

    @Test
    @SuppressWarnings({"SelfComparison", "SelfAssertion"}) // reflexivity is one of the laws under test
    void equalsHashCodeAndCompareToAgree(final Seed seed) {
        final SplittableRandom r = seed.random();
        final List<ConnectionKey> keys = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            final ConnectionKey k = randomKey(r);
            keys.add(k);
            keys.add(copy(k)); // an equal key built through the other factory
            keys.add(nudge(k, r.nextInt(7))); // a key that differs in exactly one field
        }
        for (final ConnectionKey a : keys) {
            assertThat(a.compareTo(a)).isZero();
            assertThat(a).isEqualTo(a).isNotEqualTo(null).isNotEqualTo(a.toString());
            for (final ConnectionKey b : keys) {
                final int ab = a.compareTo(b);
                assertThat(Integer.signum(ab)).as("%s vs %s", a, b).isEqualTo(-Integer.signum(b.compareTo(a)));
                assertThat(ab == 0).as("compareTo = 0 iff equals: %s vs %s", a, b).isEqualTo(a.equals(b));
                if (a.equals(b)) {
                    assertThat(a.hashCode()).isEqualTo(b.hashCode());
                }
            }
        }
        final List<ConnectionKey> sorted = new ArrayList<>(keys);
        sorted.sort(null);
        for (int i = 0; i + 2 < sorted.size(); i += 3) { // transitivity along the order
            final ConnectionKey a = sorted.get(i);
            final ConnectionKey c = sorted.get(i + 2);
            assertThat(a.compareTo(c)).isLessThanOrEqualTo(0);
        }
    }

    @Test
    void everyFieldTakesPartInEquality() {
        final ConnectionKey k = ConnectionKey.ipv6(TCP, 1, 2, 3, 4, 5, 6);
        for (int field = 0; field < 7; field++) {
            final ConnectionKey n = nudge(k, field);
            assertThat(n).as("field %d", field).isNotEqualTo(k);
            assertThat(n.compareTo(k)).as("field %d", field).isNotZero();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A random key: IPv4 (no 0.0.0.0, see the disabled test) or IPv6, connection or listener. */
    static ConnectionKey randomKey(final SplittableRandom r) {
        final int proto = r.nextBoolean() ? TCP : r.nextInt(256);
        return switch (r.nextInt(4)) {
            case 0 -> ConnectionKey.ipv4(proto, 1 + r.nextInt(Integer.MAX_VALUE), r.nextInt(65_536),
                    -1 - r.nextInt(Integer.MAX_VALUE), r.nextInt(65_536));
            case 1 -> ConnectionKey.ipv6(proto, 0x2001_0db8_0000_0000L | r.nextInt(1 << 16), r.nextLong(),
                    r.nextInt(65_536), 0xfe80_0000_0000_0000L, r.nextLong(), r.nextInt(65_536));
            case 2 -> ConnectionKey.listener(proto, 1 + r.nextInt(Integer.MAX_VALUE), r.nextInt(65_536));
            default -> ConnectionKey.listener(proto, r.nextInt(65_536));
        };
    }

    private static ConnectionKey copy(final ConnectionKey k) {
        return ConnectionKey.ipv6(k.protocol(), k.localHi(), k.localLo(), k.localPort(), k.foreignHi(), k.foreignLo(),
                k.foreignPort());
    }

    /** {@code k} with one field changed (0 protocol, 1-3 local hi/lo/port, 4-6 foreign hi/lo/port). */
    static ConnectionKey nudge(final ConnectionKey k, final int field) {
        return ConnectionKey.ipv6(
                field == 0 ? (k.protocol() + 1) & 0xFF : k.protocol(),
                field == 1 ? k.localHi() ^ 1 : k.localHi(),
                field == 2 ? k.localLo() ^ 1 : k.localLo(),
                field == 3 ? (k.localPort() + 1) & 0xFFFF : k.localPort(),
                field == 4 ? k.foreignHi() ^ 1 : k.foreignHi(),
                field == 5 ? k.foreignLo() ^ 1 : k.foreignLo(),
                field == 6 ? (k.foreignPort() + 1) & 0xFFFF : k.foreignPort());
    }
}
