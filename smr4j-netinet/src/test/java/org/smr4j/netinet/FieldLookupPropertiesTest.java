package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Reader;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The field forms of {@link ConnectionTable.Reader} against the key forms, property-tested
 * with jqwik in every strategy: for any tuple (IPv4 or IPv6, connection or listener, present
 * or not, and near misses of a present one: one field changed), {@code lookupIpv4}/
 * {@code lookupIpv6} return the very block (or null) that {@code lookup} of
 * {@code ConnectionKey.ipv4/ipv6} of the same fields returns, in both lock modes, and
 * {@code readIpv4}/{@code readIpv6} the same value as {@code read}; and for fields out of
 * range, both refuse with the same exception and message.
 *
 * <p>The tables (one per strategy, each holding the same few hundred tuples) are built once
 * for the class; each try looks up without changing them.
 */
class FieldLookupPropertiesTest {

    static final int TCP = ConnectionKey.TCP;
    static final Map<Strategy, ConnectionTable> TABLES = new EnumMap<>(Strategy.class);
    static final List<Tuple> PRESENT = new ArrayList<>();

    /** The fields of a tuple, as the field forms take them. {@code v4} chooses the IPv4 form. */
    record Tuple(boolean v4, int protocol, long localHi, long localLo, int localPort, long foreignHi, long foreignLo,
            int foreignPort) {
        ConnectionKey key() {
            return v4 ? ConnectionKey.ipv4(protocol, (int) localLo, localPort, (int) foreignLo, foreignPort)
                    : ConnectionKey.ipv6(protocol, localHi, localLo, localPort, foreignHi, foreignLo, foreignPort);
        }

        ControlBlock lookupFields(final Reader r, final LockMode mode) {
            return v4 ? r.lookupIpv4(protocol, (int) localLo, localPort, (int) foreignLo, foreignPort, mode)
                    : r.lookupIpv6(protocol, localHi, localLo, localPort, foreignHi, foreignLo, foreignPort, mode);
        }

        Object readFields(final Reader r) {
            return v4 ? r.readIpv4(protocol, (int) localLo, localPort, (int) foreignLo, foreignPort, ControlBlock::attachment)
                    : r.readIpv6(protocol, localHi, localLo, localPort, foreignHi, foreignLo, foreignPort,
                            ControlBlock::attachment);
        }
    }

    @BeforeContainer
    static void buildTables() {
        final java.util.SplittableRandom r = new java.util.SplittableRandom(8);
        for (int i = 0; i < 300; i++) {
            PRESENT.add(randomTuple(r, i % 5 == 0));
        }
        for (final Strategy s : Strategy.values()) {
            final ConnectionTable t = ConnectionTable.builder(s).name("fields-" + s).initialBuckets(64).build();
            for (final Tuple tuple : PRESENT) {
                final ControlBlock b = t.insert(tuple.key());
                if (b != null) { // random tuples may repeat
                    b.attach(tuple.key().toString());
                    b.unlock();
                }
            }
            TABLES.put(s, t);
        }
    }

    @AfterContainer
    static void closeTables() {
        for (final ConnectionTable t : TABLES.values()) {
            TableProbe.validate(t);
            t.close();
        }
    }

    static Tuple randomTuple(final java.util.SplittableRandom r, final boolean listener) {
        final boolean v4 = r.nextBoolean();
        final int protocol = r.nextBoolean() ? TCP : r.nextInt(256);
        final int localPort = r.nextInt(65_536);
        if (v4) {
            final int local = r.nextInt(4) == 0 ? 0 : r.nextInt();
            final int foreign = listener ? 0 : r.nextInt();
            return new Tuple(true, protocol, 0, ConnectionKey.mapped(local), localPort, 0, ConnectionKey.mapped(foreign),
                    listener ? 0 : r.nextInt(65_536));
        }
        return new Tuple(false, protocol, r.nextLong(), r.nextLong(), localPort, listener ? 0 : r.nextLong(),
                listener ? 0 : r.nextLong(), listener ? 0 : r.nextInt(65_536));
    }

    @Provide
    Arbitrary<Tuple> tuples() {
        final Arbitrary<Tuple> present = Arbitraries.of(PRESENT);
        final Arbitrary<Tuple> nearMiss = Combinators.combine(Arbitraries.of(PRESENT), Arbitraries.integers().between(0, 6),
                Arbitraries.longs()).as(FieldLookupPropertiesTest::changeOne);
        final Arbitrary<Tuple> v4 = Combinators.combine(Arbitraries.integers().between(0, 255),
                Arbitraries.integers(), Arbitraries.integers().between(0, 65_535), Arbitraries.integers(),
                Arbitraries.integers().between(0, 65_535))
                .as((p, l, lp, f, fp) -> new Tuple(true, p, 0, ConnectionKey.mapped(l), lp, 0, ConnectionKey.mapped(f), fp));
        final Arbitrary<Tuple> v6 = Combinators.combine(Arbitraries.integers().between(0, 255), Arbitraries.longs(),
                Arbitraries.longs(), Arbitraries.integers().between(0, 65_535), Arbitraries.longs(), Arbitraries.longs(),
                Arbitraries.integers().between(0, 65_535))
                .as((p, lh, ll, lp, fh, fl, fp) -> new Tuple(false, p, lh, ll, lp, fh, fl, fp));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, present), net.jqwik.api.Tuple.of(3, nearMiss),
                net.jqwik.api.Tuple.of(1, v4), net.jqwik.api.Tuple.of(1, v6));
    }

    /** {@code t} with field {@code which} changed by {@code delta} (staying in range and in its family). */
    static Tuple changeOne(final Tuple t, final int which, final long delta) {
        final long d = delta == 0 ? 1 : delta;
        return switch (which) {
            case 0 -> new Tuple(t.v4(), (int) ((t.protocol() + d) & 0xFF), t.localHi(), t.localLo(), t.localPort(),
                    t.foreignHi(), t.foreignLo(), t.foreignPort());
            case 1 -> new Tuple(t.v4(), t.protocol(), t.localHi(), t.localLo(), (int) ((t.localPort() + d) & 0xFFFF),
                    t.foreignHi(), t.foreignLo(), t.foreignPort());
            case 2 -> new Tuple(t.v4(), t.protocol(), t.localHi(), t.localLo(), t.localPort(), t.foreignHi(),
                    t.foreignLo(), (int) ((t.foreignPort() + d) & 0xFFFF));
            case 3 -> t.v4() ? new Tuple(true, t.protocol(), 0, ConnectionKey.mapped((int) (t.localLo() + d)),
                    t.localPort(), 0, t.foreignLo(), t.foreignPort())
                    : new Tuple(false, t.protocol(), t.localHi(), t.localLo() + d, t.localPort(), t.foreignHi(),
                            t.foreignLo(), t.foreignPort());
            case 4 -> t.v4() ? new Tuple(true, t.protocol(), 0, t.localLo(), t.localPort(), 0,
                    ConnectionKey.mapped((int) (t.foreignLo() + d)), t.foreignPort())
                    : new Tuple(false, t.protocol(), t.localHi(), t.localLo(), t.localPort(), t.foreignHi(),
                            t.foreignLo() + d, t.foreignPort());
            case 5 -> t.v4() ? t : new Tuple(false, t.protocol(), t.localHi() + d, t.localLo(), t.localPort(),
                    t.foreignHi(), t.foreignLo(), t.foreignPort());
            default -> t.v4() ? t : new Tuple(false, t.protocol(), t.localHi(), t.localLo(), t.localPort(),
                    t.foreignHi() + d, t.foreignLo(), t.foreignPort());
        };
    }

    /**
     * Random tuples, not jqwik's edge cases (the combinations of edge cases of eight fields
     * would fill every try); {@code Statistics} shows the share of hits (about half: present
     * tuples) in the report.
     */
    @Property(tries = 2_000, edgeCases = EdgeCasesMode.NONE)
    void theFieldLookupIsTheKeyLookup(@ForAll("tuples") final Tuple tuple, @ForAll final Strategy strategy,
            @ForAll final LockMode mode) {
        final ConnectionTable t = TABLES.get(strategy);
        final Reader r = t.reader();
        final ConnectionKey key = tuple.key();
        final ControlBlock byKey = t.lookup(key, mode);
        if (byKey != null) {
            byKey.unlock();
        }
        Statistics.label("found").collect(byKey != null);
        final ControlBlock byFields = tuple.lookupFields(r, mode);
        try {
            assertThat(byFields).as("%s by fields, %s", key, mode).isSameAs(byKey);
        } finally {
            if (byFields != null) {
                byFields.unlock();
            }
        }
        assertThat(tuple.readFields(r)).as("%s read by fields", key).isEqualTo(t.read(key, ControlBlock::attachment));
    }

    @Property(tries = 1_000, edgeCases = EdgeCasesMode.MIXIN)
    void outOfRangeFieldsAreRefusedAsTheKeyFactoryRefusesThem(@ForAll("tuples") final Tuple base,
            @ForAll("outOfRange") final int bad, @ForAll final int which, @ForAll final Strategy strategy) {
        final Tuple t = switch (Math.floorMod(which, 3)) {
            case 0 -> new Tuple(base.v4(), bad, base.localHi(), base.localLo(), base.localPort(), base.foreignHi(),
                    base.foreignLo(), base.foreignPort());
            case 1 -> new Tuple(base.v4(), base.protocol(), base.localHi(), base.localLo(), bad, base.foreignHi(),
                    base.foreignLo(), base.foreignPort());
            default -> new Tuple(base.v4(), base.protocol(), base.localHi(), base.localLo(), base.localPort(),
                    base.foreignHi(), base.foreignLo(), bad);
        };
        final Throwable byKey = catchThrowable(t::key);
        final Reader r = TABLES.get(strategy).reader();
        final Throwable byFields = catchThrowable(() -> t.lookupFields(r, LockMode.READ));
        final Throwable byRead = catchThrowable(() -> t.readFields(r));
        assertThat(byKey).isInstanceOf(IllegalArgumentException.class);
        assertThat(byFields).isInstanceOf(IllegalArgumentException.class).hasMessage(byKey.getMessage());
        assertThat(byRead).isInstanceOf(IllegalArgumentException.class).hasMessage(byKey.getMessage());
    }

    /**
     * Control: the comparison is exact. An IPv4 connection looked up with its addresses
     * unmapped (the IPv6 form of {@code ::a.b.c.d}, not {@code ::ffff:a.b.c.d}) is another
     * tuple and is not found, so a field form that forgot the mapping would fail the property.
     */
    @net.jqwik.api.Example
    void controlAnUnmappedIpv4TupleIsAnotherTuple() {
        final Tuple v4 = PRESENT.stream().filter(t -> t.v4() && t.localLo() != 0 && t.foreignLo() != 0).findFirst()
                .orElseThrow();
        final Reader r = TABLES.get(Strategy.SMR_DEFAULT).reader();
        final ControlBlock found = v4.lookupFields(r, LockMode.READ);
        assertThat(found).isNotNull();
        found.unlock();
        assertThat(r.lookupIpv6(v4.protocol(), 0, v4.localLo() & 0xFFFF_FFFFL, v4.localPort(), 0,
                v4.foreignLo() & 0xFFFF_FFFFL, v4.foreignPort(), LockMode.READ)).isNull();
    }

    @Provide
    Arbitrary<Integer> outOfRange() {
        return Arbitraries.oneOf(Arbitraries.integers().lessOrEqual(-1), Arbitraries.integers().greaterOrEqual(65_536),
                Arbitraries.of(-1, 65_536, Integer.MIN_VALUE, Integer.MAX_VALUE));
    }
}
