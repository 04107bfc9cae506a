package org.smr4j.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.smr4j.demo.MainTest.Run;

/**
 * {@code smr4j soak} run through {@link Main#execute} in this JVM with a tiny duration: the
 * progress lines, the summary (operations of the table and the pool, no violation, peak
 * pending, a peak heap) and exit 0; the negative control (the pool's
 * writer reusing cells without a grace period) must be seen by the pool's readers and make
 * the command exit 1; one line and exit 2 for every bad option.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SoakCommandTest {

    private static long number(final String text, final String regex) {
        final Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("'%s' in:%n%s", regex, text).isTrue();
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    @Test
    void aShortSoakPrintsProgressAndACleanSummary() {
        final Run r = MainTest.run("soak", "--minutes", "0.05", "--progress", "0.5", "--connections", "2000",
                "--pending-limit", "512");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.err()).contains("smr4j: soak on ").contains("for 0:03");
        final List<String> progress = r.err().lines().filter(l -> l.startsWith("soak ")).toList();
        assertThat(progress).as(r.err()).hasSizeGreaterThanOrEqualTo(4);
        assertThat(progress.getLast()).matches("soak 0:0[0-9] / 0:03  operations [0-9,]+  violations 0  pending table "
                + "peak [0-9,]+, pool [0-9,]+  heap [0-9]+ MiB \\(peak [0-9]+ MiB\\)");

        final String out = r.out();
        assertThat(out).contains("soak: ").contains("SMR_DEFAULT, SMR_LAZY, PSERIALIZE").contains("failures: none");
        assertThat(number(out, "operations: ([0-9,]+)")).isPositive();
        assertThat(number(out, "table ([0-9,]+), pool")).as("table operations").isPositive();
        assertThat(number(out, "pool ([0-9,]+)\\)")).as("pool operations").isPositive();
        assertThat(number(out, "violations: ([0-9,]+)")).isZero();
        final long tablePending = number(out, "peak pending: table ([0-9,]+) blocks");
        // Not compared with the pending limit here: LimitsTest owns that bound (issue 8 point 2).
        assertThat(tablePending).isNotNegative();
        assertThat(number(out, "peak heap: ([0-9]+)\\.")).isPositive();
    }

    @Test
    void theNegativeControlIsCaughtAndExitsOne() {
        final Run r = MainTest.run("soak", "--minutes", "0.03", "--progress", "1", "--connections", "500",
                "--negative-control");
        assertThat(r.err()).contains("NEGATIVE CONTROL");
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(number(r.out(), "pool reuse ([0-9,]+)")).as(r.out()).isPositive();
        assertThat(r.out()).contains("first pool violation: ");
        assertThat(r.err()).contains("smr4j: the soak saw ");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--minutes 0                   | --minutes must be 0.001 to 1440, was 0.0",
        "--minutes 2000                | --minutes must be 0.001 to 1440, was 2000.0",
        "--progress 0.01               | --progress must be 0.1 to 3600, was 0.01",
        "--connections 0               | --connections must be 1 to 1,000,000, was 0",
        "--threads 65                  | --threads must be 1 to 64, was 65",
        "--pending-limit 0             | --pending-limit must be 1 to 1,048,576, was 0",
        "--minutes soon                | '--minutes': 'soon' is not a double (--minutes must be 0.001 to 1440)",
        "--no-such-option              | Unknown option: '--no-such-option'",
    })
    void aBadOptionGetsOneLineNamingItsRangeAndExitCode2(final String args, final String message) {
        final List<String> argv = new ArrayList<>(List.of("soak"));
        argv.addAll(List.of(args.split(" ")));
        final Run r = MainTest.run(argv.toArray(String[]::new));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines()).hasSize(1);
        assertThat(r.err()).contains(message).contains("see smr4j soak --help");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void itsHelpNamesTheOptionsAndTheMainHelpListsIt() {
        final Run r = MainTest.run("soak", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--minutes=M").contains("--progress=S").contains("--connections=N")
                .contains("--threads=N").contains("--pending-limit=N").contains("--seed=N").contains("default: 60")
                .doesNotContain("negative-control");
        assertThat(MainTest.run("--help").out()).contains("soak ");
    }
}
