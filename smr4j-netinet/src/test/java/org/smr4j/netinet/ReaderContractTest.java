package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Reader;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.testsupport.TestSupport;

/**
 * {@link ConnectionTable.Reader}, every strategy: its lookups and reads give the table's
 * results (present and absent, connections and listeners, IPv4 and IPv6, both lock modes, by
 * key and by fields), and it refuses what the contract refuses, table-driven: null arguments
 * (NPE naming the parameter), out-of-range fields (IAE with the {@link ConnectionKey}
 * factories' messages), a call from another thread, platform or virtual (ISE naming the
 * table and both threads), and any call after the table's close (ISE naming the table and the
 * closed state), in that order of precedence. After each refused call nothing changed, the
 * table is sound, and the handle still works on its own thread.
 */
class ReaderContractTest {

    static final int TCP = ConnectionKey.TCP;
    static final ConnectionKey V4 = ConnectionKey.ipv4(TCP, 0x0A000001, 443, 0xC0000207, 51_000);
    static final ConnectionKey V6 = ConnectionKey.ipv6(TCP, 0x20010db8_00000000L, 1L, 443, 0x20010db8_00000001L, 7L,
            51_001);
    static final ConnectionKey LISTENER = ConnectionKey.listener(TCP, 0x0A000001, 443);
    static final ConnectionKey ANY = ConnectionKey.listener(TCP, 80);
    static final ConnectionKey ABSENT = ConnectionKey.ipv4(TCP, 0x0A000001, 443, 0xC0000207, 51_002);
    static final Function<ControlBlock, Object> ATTACHMENT = ControlBlock::attachment;

    static ConnectionTable table(final Strategy strategy) {
        final ConnectionTable t = ConnectionTable.builder(strategy).name("reader-" + strategy).initialBuckets(4).build();
        for (final ConnectionKey k : List.of(V4, V6, LISTENER, ANY)) {
            final ControlBlock b = t.insert(k);
            b.attach("att " + k);
            b.unlock();
        }
        return t;
    }

    /** The lookup of {@code k} through the handle's field form (IPv4 form when both sides are IPv4). */
    static ControlBlock lookupFields(final Reader r, final ConnectionKey k, final LockMode mode) {
        return k.isIpv4()
                ? r.lookupIpv4(k.protocol(), (int) k.localLo(), k.localPort(), (int) k.foreignLo(), k.foreignPort(), mode)
                : r.lookupIpv6(k.protocol(), k.localHi(), k.localLo(), k.localPort(), k.foreignHi(), k.foreignLo(),
                        k.foreignPort(), mode);
    }

    /** The read of {@code k} through the handle's field form. */
    static <V> V readFields(final Reader r, final ConnectionKey k, final Function<? super ControlBlock, ? extends V> f) {
        return k.isIpv4()
                ? r.readIpv4(k.protocol(), (int) k.localLo(), k.localPort(), (int) k.foreignLo(), k.foreignPort(), f)
                : r.readIpv6(k.protocol(), k.localHi(), k.localLo(), k.localPort(), k.foreignHi(), k.foreignLo(),
                        k.foreignPort(), f);
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void aHandleGivesTheTablesResults(final Strategy strategy) {
        try (ConnectionTable t = table(strategy)) {
            final Reader r = t.reader();
            assertThat(r.table()).isSameAs(t);
            assertThat(r.toString()).contains("reader-" + strategy).contains(Thread.currentThread().toString());
            for (final ConnectionKey k : List.of(V4, V6, LISTENER, ANY, ABSENT)) {
                for (final LockMode mode : LockMode.values()) {
                    final ControlBlock expected = t.lookup(k, mode);
                    if (expected != null) {
                        expected.unlock();
                    }
                    for (int way = 0; way < 2; way++) {
                        final ControlBlock b = way == 0 ? r.lookup(k, mode) : lookupFields(r, k, mode);
                        assertThat(b).as("%s %s way %d", k, mode, way).isSameAs(expected);
                        if (b != null) {
                            assertThat(mode == LockMode.READ ? b.isReadLocked() : b.isWriteLocked()).isTrue();
                            assertThat(b.isFreed()).isFalse();
                            assertThat(b.key()).isEqualTo(k);
                            b.unlock();
                        }
                    }
                }
                final Object expected = t.read(k, ATTACHMENT);
                assertThat(r.read(k, ATTACHMENT)).as("read %s", k).isEqualTo(expected);
                assertThat(readFields(r, k, ATTACHMENT)).as("read fields %s", k).isEqualTo(expected);
                assertThat(expected).isEqualTo(k == ABSENT ? null : "att " + k);
            }
            // Field forms of a listener: the foreign side of zeros; 0.0.0.0 is the unspecified address.
            final ControlBlock any = r.lookupIpv4(TCP, 0, 80, 0, 0, LockMode.READ);
            assertThat(any).isNotNull();
            assertThat(any.key()).isEqualTo(ANY);
            any.unlock();
            assertThat(r.readIpv6(TCP, 0, 0, 80, 0, 0, 0, ATTACHMENT)).isEqualTo("att " + ANY);
            // The handle sees what the table does after changes.
            assertThat(t.remove(V4)).isTrue();
            assertThat(r.lookup(V4, LockMode.READ)).isNull();
            assertThat(readFields(r, V4, ATTACHMENT)).isNull();
            TableProbe.validate(t);
        }
    }

    // ------------------------------------------------------------------ refusals

    /** A refused handle call: the call, the exception type and the words its message must contain. */
    record Case(String name, Consumer<Reader> call, Class<? extends Throwable> type, String exact) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> argumentCases() {
        final List<Case> c = new ArrayList<>();
        final String protocol = "protocol must be in [0, 255], was ";
        final String local = "localPort must be in [0, 65535], was ";
        final String foreign = "foreignPort must be in [0, 65535], was ";
        c.add(new Case("lookup(null, READ)", r -> r.lookup(null, LockMode.READ), NullPointerException.class, "key"));
        c.add(new Case("lookup(key, null)", r -> r.lookup(V4, null), NullPointerException.class, "mode"));
        c.add(new Case("read(null, f)", r -> r.read(null, ATTACHMENT), NullPointerException.class, "key"));
        c.add(new Case("read(key, null)", r -> r.read(V4, null), NullPointerException.class, "function"));
        c.add(new Case("lookupIpv4(..., null)", r -> r.lookupIpv4(TCP, 1, 1, 1, 1, null), NullPointerException.class,
                "mode"));
        c.add(new Case("lookupIpv6(..., null)", r -> r.lookupIpv6(TCP, 0, 1, 1, 0, 1, 1, null),
                NullPointerException.class, "mode"));
        c.add(new Case("readIpv4(..., null)", r -> r.readIpv4(TCP, 1, 1, 1, 1, null), NullPointerException.class,
                "function"));
        c.add(new Case("readIpv6(..., null)", r -> r.readIpv6(TCP, 0, 1, 1, 0, 1, 1, null),
                NullPointerException.class, "function"));
        c.add(new Case("null before range", r -> r.lookupIpv4(-1, 1, -1, 1, -1, null), NullPointerException.class,
                "mode"));
        c.add(new Case("lookupIpv4 protocol 256", r -> r.lookupIpv4(256, 1, 1, 1, 1, LockMode.READ),
                IllegalArgumentException.class, protocol + 256));
        c.add(new Case("lookupIpv4 localPort -1", r -> r.lookupIpv4(TCP, 1, -1, 1, 1, LockMode.READ),
                IllegalArgumentException.class, local + -1));
        c.add(new Case("lookupIpv4 foreignPort 65536", r -> r.lookupIpv4(TCP, 1, 1, 1, 65_536, LockMode.WRITE),
                IllegalArgumentException.class, foreign + 65536));
        c.add(new Case("lookupIpv6 protocol -7", r -> r.lookupIpv6(-7, 0, 1, 1, 0, 1, 1, LockMode.READ),
                IllegalArgumentException.class, protocol + -7));
        c.add(new Case("lookupIpv6 localPort 70000", r -> r.lookupIpv6(TCP, 0, 1, 70_000, 0, 1, 1, LockMode.READ),
                IllegalArgumentException.class, local + 70000));
        c.add(new Case("readIpv4 foreignPort MIN", r -> r.readIpv4(TCP, 1, 1, 1, Integer.MIN_VALUE, ATTACHMENT),
                IllegalArgumentException.class, foreign + Integer.MIN_VALUE));
        c.add(new Case("readIpv6 protocol MAX", r -> r.readIpv6(Integer.MAX_VALUE, 0, 1, 1, 0, 1, 1, ATTACHMENT),
                IllegalArgumentException.class, protocol + Integer.MAX_VALUE));
        c.add(new Case("readIpv6 foreignPort -1", r -> r.readIpv6(TCP, 0, 1, 1, 0, 1, -1, ATTACHMENT),
                IllegalArgumentException.class, foreign + -1));
        return c;
    }

    /** One valid call of each method, for the thread and closed refusals. */
    static List<Case> everyMethod() {
        return List.of(new Case("lookup", r -> r.lookup(V4, LockMode.READ), IllegalStateException.class, null),
                new Case("read", r -> r.read(V4, ATTACHMENT), IllegalStateException.class, null),
                new Case("lookupIpv4", r -> r.lookupIpv4(TCP, 0x0A000001, 443, 0xC0000207, 51_000, LockMode.WRITE),
                        IllegalStateException.class, null),
                new Case("lookupIpv6", r -> r.lookupIpv6(TCP, 0, 1, 1, 0, 1, 1, LockMode.READ),
                        IllegalStateException.class, null),
                new Case("readIpv4", r -> r.readIpv4(TCP, 0x0A000001, 443, 0xC0000207, 51_000, ATTACHMENT),
                        IllegalStateException.class, null),
                new Case("readIpv6", r -> r.readIpv6(TCP, 0, 1, 1, 0, 1, 1, ATTACHMENT), IllegalStateException.class,
                        null));
    }

    static Stream<Arguments> strategiesAnd(final List<Case> cases) {
        return Stream.of(Strategy.values()).flatMap(s -> cases.stream().map(c -> Arguments.of(s, c)));
    }

    static Stream<Arguments> argumentCasesPerStrategy() {
        return strategiesAnd(argumentCases());
    }

    static Stream<Arguments> everyMethodPerStrategy() {
        return strategiesAnd(everyMethod());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("argumentCasesPerStrategy")
    void badArgumentsAreRefusedAsTheKeyFactoriesRefuseThem(final Strategy strategy, final Case c) {
        try (ConnectionTable t = table(strategy)) {
            final Reader r = t.reader();
            final ConnectionTable.Stats before = t.stats();
            final Throwable thrown = catchThrowable(() -> c.call().accept(r));
            assertThat(thrown).as(c.name()).isInstanceOf(c.type());
            assertThat(thrown.getMessage()).as(c.name()).isEqualTo(c.exact());
            assertUnchangedAndWorking(t, r, before);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyMethodPerStrategy")
    @Timeout(30)
    void aHandleUsedFromAnotherThreadIsRefused(final Strategy strategy, final Case c) throws Exception {
        try (ConnectionTable t = table(strategy)) {
            final Reader r = t.reader();
            final ConnectionTable.Stats before = t.stats();
            for (final Thread.Builder builder : List.of(Thread.ofPlatform().name("not-the-owner"),
                    Thread.ofVirtual().name("not-the-owner-v"))) {
                final AtomicReference<Throwable> thrown = new AtomicReference<>();
                final AtomicReference<String> other = new AtomicReference<>();
                final Thread thread = builder.start(() -> {
                    other.set(Thread.currentThread().toString());
                    thrown.set(catchThrowable(() -> c.call().accept(r)));
                });
                TestSupport.join(thread, "the other thread's call");
                assertThat(thrown.get()).as(c.name()).isInstanceOf(IllegalStateException.class);
                assertThat(thrown.get().getMessage()).contains("connection table 'reader-" + strategy + "' (" + strategy + ")")
                        .contains("Reader." + c.name())
                        .contains("the handle belongs to thread " + Thread.currentThread())
                        .contains("(thread " + other.get() + ")");
            }
            assertUnchangedAndWorking(t, r, before);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("everyMethodPerStrategy")
    void afterCloseAHandleIsRefused(final Strategy strategy, final Case c) {
        final ConnectionTable t = table(strategy);
        final Reader r = t.reader();
        t.close();
        final ConnectionTable.Stats before = t.stats();
        final Throwable thrown = catchThrowable(() -> c.call().accept(r));
        assertThat(thrown).as(c.name()).isInstanceOf(IllegalStateException.class);
        assertThat(thrown.getMessage()).contains("connection table 'reader-" + strategy + "' (" + strategy + ")")
                .contains("is closed: Reader." + c.name()).contains("(thread " + Thread.currentThread() + ")");
        assertThat(t.stats()).isEqualTo(before);
        // Precedence: a null argument before the closed state.
        assertThat(catchThrowable(() -> r.lookup(null, LockMode.READ))).isInstanceOf(NullPointerException.class);
        assertThat(catchThrowable(() -> t.reader())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed: reader() refused");
    }

    static void assertUnchangedAndWorking(final ConnectionTable t, final Reader r, final ConnectionTable.Stats before) {
        final ConnectionTable.Stats after = t.stats();
        assertThat(after.size()).isEqualTo(before.size());
        assertThat(after.inserts()).isEqualTo(before.inserts());
        assertThat(after.removes()).isEqualTo(before.removes());
        assertThat(after.blocksCreated()).isEqualTo(before.blocksCreated());
        TableProbe.validate(t);
        final ControlBlock b = r.lookup(V4, LockMode.READ);
        assertThat(b).isNotNull();
        b.unlock();
        assertThat(readFields(r, V6, ATTACHMENT)).isEqualTo("att " + V6);
    }
}
