package org.smr4j.netinet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;

/** The single-threaded contract of {@link ConnectionTable}, for every strategy. */
class ConnectionTableBasicsTest {

    static ConnectionKey conn(final int i) {
        return ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000001, 80, 0xC0000200 + (i >>> 16), i & 0xFFFF);
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void insertLookupRemove(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.builder(strategy).initialBuckets(4).build()) {
            final ControlBlock b = t.insert(conn(1));
            assertThat(b).isNotNull();
            assertThat(b.isWriteLocked()).isTrue();
            b.attach("socket");
            b.unlock();
            assertThat(t.insert(conn(1))).as("duplicate").isNull();
            final ControlBlock found = t.lookup(conn(1), LockMode.READ);
            assertThat(found).isSameAs(b);
            assertThat(found.isReadLocked()).isTrue();
            assertThat(found.attachment()).isEqualTo("socket");
            assertThat(found.key()).isEqualTo(conn(1));
            found.unlock();
            assertThat(t.lookup(conn(2), LockMode.READ)).isNull();
            assertThat(t.<Object>read(conn(1), ControlBlock::attachment)).isEqualTo("socket");
            assertThat(t.<Object>read(conn(2), ControlBlock::attachment)).isNull();
            assertThat(t.size()).isEqualTo(1);
            assertThat(t.remove(conn(1))).isTrue();
            assertThat(b.isFreed()).isTrue();
            assertThat(t.remove(conn(1))).isFalse();
            assertThat(t.lookup(conn(1), LockMode.WRITE)).isNull();
            assertThat(t.<Object>read(conn(1), ControlBlock::key)).isNull();
            assertThat(t.size()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void growsAndKeepsEverything(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.builder(strategy).initialBuckets(2).build()) {
            for (int i = 0; i < 5000; i++) {
                t.insert(conn(i)).unlock();
            }
            for (int i = 0; i < 5000; i += 2) {
                assertThat(t.remove(conn(i))).isTrue();
            }
            for (int i = 0; i < 5000; i++) {
                final ControlBlock b = t.lookup(conn(i), LockMode.READ);
                if (i % 2 == 0) {
                    assertThat(b).isNull();
                } else {
                    assertThat(b).isNotNull();
                    assertThat(b.key()).isEqualTo(conn(i));
                    b.unlock();
                }
            }
            final Set<ConnectionKey> seen = new HashSet<>();
            final List<ConnectionKey> all = new ArrayList<>();
            t.forEach(LockMode.READ, b -> {
                seen.add(b.key());
                all.add(b.key());
            });
            assertThat(all).hasSize(2500);
            assertThat(seen).hasSize(2500);
            final ConnectionTable.Stats s = t.stats();
            assertThat(s.size()).isEqualTo(2500);
            assertThat(s.inserts()).isEqualTo(5000);
            assertThat(s.removes()).isEqualTo(2500);
            if (t.longestChain() >= 0) {
                assertThat(s.resizes()).isPositive();
                assertThat(t.longestChain()).isLessThanOrEqualTo(8);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void rehashMovesTheBlock(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            final ControlBlock b = t.insert(conn(1));
            t.insert(conn(3)).unlock();
            assertThat(t.rehash(b, conn(3))).isFalse();
            assertThat(t.rehash(b, conn(2))).isTrue();
            assertThat(b.key()).isEqualTo(conn(2));
            b.unlock();
            assertThat(t.lookup(conn(1), LockMode.READ)).isNull();
            final ControlBlock m = t.lookup(conn(2), LockMode.WRITE);
            assertThat(m).isSameAs(b);
            t.remove(m);
            assertThat(t.size()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void wildcardLookupPrefersExactThenBoundThenAny(final Strategy strategy) {
        try (ConnectionTable t = ConnectionTable.create(strategy)) {
            final ControlBlock any = t.insert(ConnectionKey.listener(ConnectionKey.TCP, 80));
            any.unlock();
            final ControlBlock bound = t.insert(ConnectionKey.listener(ConnectionKey.TCP, 0x0A000001, 80));
            bound.unlock();
            final ControlBlock c = t.insert(conn(7));
            c.unlock();
            ControlBlock f = t.lookupWildcard(conn(7), LockMode.READ);
            assertThat(f).isSameAs(c);
            f.unlock();
            f = t.lookupWildcard(conn(8), LockMode.READ);
            assertThat(f).isSameAs(bound);
            f.unlock();
            f = t.lookupWildcard(ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000002, 80, 1, 1), LockMode.READ);
            assertThat(f).isSameAs(any);
            f.unlock();
            assertThat(t.lookupWildcard(ConnectionKey.ipv4(ConnectionKey.TCP, 0x0A000002, 81, 1, 1), LockMode.READ))
                    .isNull();
            assertThat(t.lookupWildcard(ConnectionKey.ipv4(ConnectionKey.UDP, 0x0A000001, 80, 1, 1), LockMode.READ))
                    .isNull();
        }
    }

    // Misuse: ConnectionTableContractTest.
}
