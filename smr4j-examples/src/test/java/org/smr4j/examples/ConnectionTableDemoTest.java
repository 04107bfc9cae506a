package org.smr4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.smr4j.netinet.ConnectionTable.Strategy;

/** The demo's claims, as a test: no violation, work done, and the pooled strategies recycle. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectionTableDemoTest {

    @ParameterizedTest
    @EnumSource(Strategy.class)
    void everyStrategyKeepsItsPromises(final Strategy strategy) throws InterruptedException {
        final ConnectionTableDemo.Result r = ConnectionTableDemo.run(strategy, 2000, 2, Duration.ofMillis(300));
        assertThat(r.violations()).isZero();
        assertThat(r.lookupsPerSecond()).isPositive();
        assertThat(r.churnPerSecond()).isPositive();
        if (strategy == Strategy.SMR_DEFAULT || strategy == Strategy.SMR_LAZY) {
            // limits(2000, 4096): the pool's hard limit is 2000 + 4096 blocks, and with 2000
            // connections established at least 2000 of them are in use
            assertThat(r.blocksCreated()).isLessThanOrEqualTo(2000 + 4096);
            assertThat(r.pendingPeak()).isBetween(0L, 4096L);
        }
    }
}
