package org.smr4j.demo.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.smr4j.demo.churn.ChurnConfig;
import org.smr4j.demo.churn.Json;
import org.smr4j.demo.fork.FairHarness.FairRun;
import org.smr4j.demo.fork.FairHarness.Measurement;
import org.smr4j.netinet.ConnectionTable.Strategy;

/**
 * The fair harness keeps its promises: a JVM per measurement, repetitions interleaved, the
 * load and the JVM recorded, the same seed everywhere, a failed fork reported with its log; and
 * the in-process mode runs the same plan in this JVM.
 */
class FairHarnessTest {

    static final long SEED = 0xC0FFEEL;

    static ChurnConfig tiny(final Strategy... s) {
        return ChurnConfig.builder().strategies(s).connections(2000).lookupThreads(1).churnThreads(1)
                .churnWindow(64).warmup(Duration.ofMillis(100)).duration(Duration.ofMillis(300))
                .progressEvery(Duration.ZERO).seed(SEED).build();
    }

    /** Records what the harness tells its progress listener. */
    static final class Recorder implements FairHarness.Progress {
        final List<Double> fractions = new ArrayList<>();
        final List<String> finished = new ArrayList<>();

        @Override
        public void update(final double fraction, final String what) {
            fractions.add(fraction);
        }

        @Override
        public void finished(final Measurement m, final int done, final int total) {
            finished.add(m.strategy() + " " + m.repetition() + " " + done + "/" + total);
        }
    }

    @Test
    void repetitionsAlternateTheOrder() {
        final List<Strategy> s = List.of(Strategy.SMR_LAZY, Strategy.PSERIALIZE, Strategy.RW_LOCK);
        assertThat(FairHarness.order(s, 0)).containsExactly(Strategy.SMR_LAZY, Strategy.PSERIALIZE, Strategy.RW_LOCK);
        assertThat(FairHarness.order(s, 1)).containsExactly(Strategy.RW_LOCK, Strategy.PSERIALIZE, Strategy.SMR_LAZY);
        assertThat(FairHarness.order(s, 2)).isEqualTo(FairHarness.order(s, 0));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void eachMeasurementRunsInAJvmOfItsOwnInterleaved(@TempDir final Path dir) {
        final Recorder progress = new Recorder();
        final FairRun run = FairHarness.run(new FairHarness.Plan("churn",
                tiny(Strategy.SMR_LAZY, Strategy.CONCURRENT_HASH_MAP), 2, true, FairHarness.DEFAULT_JVM_OPTIONS,
                dir.resolve("forks"), dir.resolve("jfr")), progress);

        assertThat(run.forked()).isTrue();
        assertThat(run.measurements()).extracting(m -> m.strategy() + "#" + m.repetition()).containsExactly(
                "SMR_LAZY#1", "CONCURRENT_HASH_MAP#1", "CONCURRENT_HASH_MAP#2", "SMR_LAZY#2");
        assertThat(run.measurements()).extracting(Measurement::position).containsExactly(1, 2, 3, 4);
        assertThat(run.measurements()).extracting(m -> m.environment().pid()).doesNotHaveDuplicates()
                .doesNotContain(ProcessHandle.current().pid());
        for (final Measurement m : run.measurements()) {
            final String s = m.strategy() + "#" + m.repetition();
            assertThat(m.result().clean()).as(s + " " + m.result().violations()).isTrue();
            assertThat(m.result().strategy()).as(s).isEqualTo(m.strategy());
            assertThat(m.result().lookups()).as(s).isPositive();
            assertThat(m.environment().loadBefore()).as(s + ": load recorded").isNotNegative();
            assertThat(m.environment().loadAfter()).as(s).isNotNegative();
            assertThat(m.environment().jvmArguments()).as(s + ": the fork's own flags")
                    .contains("-Xmx1g", "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED");
            assertThat(m.environment().maxHeapBytes()).as(s).isEqualTo(1L << 30);
            assertThat(m.wallSeconds()).as(s).isGreaterThan(0.4);
            final Path log = dir.resolve("forks").resolve(m.log());
            assertThat(log).as(s).isRegularFile();
            assertThat(dir.resolve("forks").resolve(m.jfr())).as(s + ": its flight recording").isRegularFile()
                    .isNotEmptyFile();
            // The request each fork got: this strategy alone, the same seed and work.
            final ChurnConfig request = Json.read(dir.resolve("forks").resolve(
                    m.log().replace(".log", ".request.json")), ChurnConfig.class);
            assertThat(request.strategies()).as(s).containsExactly(m.strategy());
            assertThat(request.seed()).as(s).isEqualTo(SEED);
            assertThat(request.connections()).as(s).isEqualTo(2000);
        }
        assertThat(progress.finished).containsExactly("SMR_LAZY 1 1/4", "CONCURRENT_HASH_MAP 1 2/4",
                "CONCURRENT_HASH_MAP 2 3/4", "SMR_LAZY 2 4/4");
        assertThat(progress.fractions).isSorted().last().isEqualTo(1.0);
        assertThat(run.of(Strategy.SMR_LAZY)).extracting(Measurement::repetition).containsExactly(1, 2);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void inProcessRunsThePlanInThisJvm(@TempDir final Path dir) {
        final FairRun run = FairHarness.run(new FairHarness.Plan("flood",
                tiny(Strategy.PSERIALIZE, Strategy.RW_LOCK).toBuilder().churnThreads(0).flood(true).floodMax(512)
                        .build(), 2, false, List.of(), dir, null), FairHarness.Progress.NONE);
        assertThat(run.forked()).isFalse();
        assertThat(run.jvmOptions()).isEmpty();
        assertThat(run.measurements()).extracting(m -> m.strategy() + "#" + m.repetition()).containsExactly(
                "PSERIALIZE#1", "RW_LOCK#1", "RW_LOCK#2", "PSERIALIZE#2");
        assertThat(run.measurements()).allSatisfy(m -> {
            assertThat(m.environment().pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(m.log()).isNull();
            assertThat(m.result().clean()).isTrue();
            assertThat(m.result().floodInserts()).isPositive();
        });
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aForkThatFailsEndsTheRunNamingItAndItsLog(@TempDir final Path dir) throws Exception {
        final List<String> badJvm = List.of("-XX:+NoSuchFlagInAnyJvm");
        assertThatThrownBy(() -> FairHarness.run(new FairHarness.Plan("churn", tiny(Strategy.SMR_DEFAULT), 1, true,
                badJvm, dir, null), FairHarness.Progress.NONE))
                .isInstanceOf(FairHarness.ForkFailure.class)
                .hasMessageContaining("churn-smr_default-r1 failed (exit 1)")
                .hasMessageContaining("NoSuchFlagInAnyJvm")
                .hasMessageContaining(dir.resolve("churn-smr_default-r1.log").toString())
                .satisfies(e -> assertThat(((FairHarness.ForkFailure) e).log()).isRegularFile());
        assertThat(Files.readString(dir.resolve("churn-smr_default-r1.log"))).contains("NoSuchFlagInAnyJvm");
        assertThatThrownBy(() -> new FairHarness.Plan("x", tiny(Strategy.RW_LOCK), 0, true, List.of(), dir, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repetitions must be at least 1: 0");
    }
}
