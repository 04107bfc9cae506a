package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input contract of {@link ConnectionKey} (issue 8 point 1), table-driven: every
 * factory with a null, an out-of-range and an unresolved argument, the exception type and its
 * exact message (the parameter, the value and the valid range). Keys are immutable, so
 * "nothing changed" means: the same calls with the bounds themselves succeed, and a key made
 * before a refused call still equals its copy.
 */
class ConnectionKeyContractTest {

    static final int TCP = ConnectionKey.TCP;
    static final InetSocketAddress GOOD = sa("10.0.0.1", 80);
    static final InetSocketAddress UNRESOLVED = InetSocketAddress.createUnresolved("example.invalid", 80);

    static InetSocketAddress sa(final String literal, final int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(literal), port);
        } catch (final UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A refused factory call and its exact message. */
    record Case(String name, Callable<ConnectionKey> call, Class<? extends Throwable> type, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case iae(final String name, final Callable<ConnectionKey> call, final String message) {
        return new Case(name, call, IllegalArgumentException.class, message);
    }

    static Case npe(final String name, final Callable<ConnectionKey> call, final String parameter) {
        return new Case(name, call, NullPointerException.class, parameter);
    }

    static Stream<Case> cases() {
        final String protocol = "protocol must be in [0, 255], was ";
        final String local = "localPort must be in [0, 65535], was ";
        final String foreign = "foreignPort must be in [0, 65535], was ";
        return Stream.of(
                iae("ipv4 protocol 256", () -> ConnectionKey.ipv4(256, 1, 1, 1, 1), protocol + 256),
                iae("ipv4 protocol -1", () -> ConnectionKey.ipv4(-1, 1, 1, 1, 1), protocol + -1),
                iae("ipv4 localPort 65536", () -> ConnectionKey.ipv4(TCP, 1, 65_536, 1, 1), local + 65536),
                iae("ipv4 localPort -1", () -> ConnectionKey.ipv4(TCP, 1, -1, 1, 1), local + -1),
                iae("ipv4 foreignPort -5", () -> ConnectionKey.ipv4(TCP, 1, 1, 1, -5), foreign + -5),
                iae("ipv4 foreignPort MAX", () -> ConnectionKey.ipv4(TCP, 1, 1, 1, Integer.MAX_VALUE),
                        foreign + Integer.MAX_VALUE),
                iae("ipv4 protocol before ports", () -> ConnectionKey.ipv4(300, 1, -1, 1, -1), protocol + 300),
                iae("ipv6 protocol MIN", () -> ConnectionKey.ipv6(Integer.MIN_VALUE, 0, 1, 1, 0, 2, 1),
                        protocol + Integer.MIN_VALUE),
                iae("ipv6 localPort 70000", () -> ConnectionKey.ipv6(TCP, 0, 1, 70_000, 0, 2, 1), local + 70000),
                iae("ipv6 foreignPort 70000", () -> ConnectionKey.ipv6(TCP, 0, 1, 1, 0, 2, 70_000), foreign + 70000),
                iae("listener(p, a, port) protocol", () -> ConnectionKey.listener(999, 1, 80), protocol + 999),
                iae("listener(p, a, port) port", () -> ConnectionKey.listener(TCP, 1, 65_536), local + 65536),
                iae("listener(p, port) protocol", () -> ConnectionKey.listener(-1, 80), protocol + -1),
                iae("listener(p, port) port", () -> ConnectionKey.listener(TCP, -80), local + -80),
                iae("of protocol", () -> ConnectionKey.of(256, GOOD, GOOD), protocol + 256),
                iae("of unresolved local", () -> ConnectionKey.of(TCP, UNRESOLVED, GOOD),
                        "local must be a resolved address, was unresolved " + UNRESOLVED),
                iae("of unresolved foreign", () -> ConnectionKey.of(TCP, GOOD, UNRESOLVED),
                        "foreign must be a resolved address, was unresolved " + UNRESOLVED),
                iae("listener(p, sa) protocol", () -> ConnectionKey.listener(-2, GOOD), protocol + -2),
                iae("listener(p, sa) unresolved", () -> ConnectionKey.listener(TCP, UNRESOLVED),
                        "local must be a resolved address, was unresolved " + UNRESOLVED),
                npe("of null local", () -> ConnectionKey.of(TCP, null, GOOD), "local"),
                npe("of null foreign", () -> ConnectionKey.of(TCP, GOOD, null), "foreign"),
                npe("of null before range", () -> ConnectionKey.of(-1, null, UNRESOLVED), "local"),
                npe("listener(p, null)", () -> ConnectionKey.listener(TCP, (InetSocketAddress) null), "local"),
                npe("compareTo(null)", () -> {
                    ConnectionKey.ipv4(TCP, 1, 1, 1, 1).compareTo(null);
                    return null;
                }, "o"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithTheParameterTheValueAndTheRange(final Case c) {
        final ConnectionKey before = ConnectionKey.ipv4(TCP, 0x0A000001, 80, 0xC0000201, 40_000);
        final Throwable thrown = catchThrowable(c.call()::call);
        assertThat(thrown).as(c.name()).isInstanceOf(c.type());
        assertThat(thrown.getMessage()).as(c.name()).isEqualTo(c.message());
        assertThat(before).isEqualTo(ConnectionKey.ipv4(TCP, 0x0A000001, 80, 0xC0000201, 40_000));
    }

    @Test
    void theBoundsThemselvesAreAccepted() {
        final List<ConnectionKey> keys = List.of(ConnectionKey.ipv4(255, 1, 65_535, 1, 0),
                ConnectionKey.ipv4(0, 1, 0, 1, 65_535), ConnectionKey.ipv6(255, -1, -1, 65_535, -1, -1, 65_535),
                ConnectionKey.listener(0, 0), ConnectionKey.listener(255, 1, 65_535),
                ConnectionKey.of(0, sa("::1", 65_535), sa("10.0.0.1", 0)), ConnectionKey.listener(255, sa("::", 0)));
        assertThat(keys.get(0).protocol()).isEqualTo(255);
        assertThat(keys.get(1).foreignPort()).isEqualTo(65_535);
        assertThat(keys.get(2).localPort()).isEqualTo(65_535);
        assertThat(keys).doesNotHaveDuplicates();
    }
}
