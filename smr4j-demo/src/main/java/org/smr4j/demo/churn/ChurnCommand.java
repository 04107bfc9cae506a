package org.smr4j.demo.churn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.smr4j.netinet.ConnectionTable.Strategy;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The churn and flood comparison from the command line: runs {@link ChurnHarness} over the
 * chosen strategies and prints one table with every strategy of the run, with ratios against
 * {@code CONCURRENT_HASH_MAP} and {@code RW_LOCK} measured in the same run, then a table of
 * details and the verdict on violations. Progress lines go to stderr, tables to stdout.
 * Exits with 1 if any strategy saw a violation or failed, 2 on a usage error.
 *
 * <p>Run (from the repository root, after {@code mvn -pl smr4j-bench -am package}):
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp smr4j-bench/target/benchmarks.jar \
 *      org.smr4j.demo.churn.ChurnCommand --duration 10s
 * java --enable-native-access=ALL-UNNAMED -cp smr4j-bench/target/benchmarks.jar \
 *      org.smr4j.demo.churn.ChurnCommand --duration 10s --flood --flood-ttl 1s --json flood.json
 * java --enable-native-access=ALL-UNNAMED -cp smr4j-bench/target/benchmarks.jar \
 *      org.smr4j.demo.churn.ChurnCommand --help
 * </pre>
 * {@code --enable-native-access=ALL-UNNAMED} gives lazy SMR its {@code membarrier(2)}; without
 * it {@code SMR_LAZY} runs with fenced readers and the output says so. Run it alone on the
 * machine (hold {@code flock /tmp/jmh.lock}): it is a measurement.
 */
@Command(name = "ChurnCommand", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lookups over established connections under connection churn (and optionally a SYN-flood-"
                + "like attacker), for each ConnectionTable strategy in one run.",
        footer = "Durations: 10s, 500ms, 2m, 100us, or ISO-8601 (PT10S). Rates: 0 = full speed.")
public final class ChurnCommand implements Callable<Integer> {

    @Option(names = "--strategies", split = ",", paramLabel = "S",
            description = "Strategies, in run order (default: all: ${COMPLETION-CANDIDATES}).")
    private List<Strategy> strategies = List.of(Strategy.values());

    @Option(names = "--connections", paramLabel = "N", description = "Established connections (default: ${DEFAULT-VALUE}).")
    private int connections = ChurnConfig.CONNECTIONS_DEFAULT;

    @Option(names = "--lookup-threads", paramLabel = "N", description = "Lookup threads (default: ${DEFAULT-VALUE}).")
    private int lookupThreads = 1;

    @Option(names = "--lookup-rate", paramLabel = "PER_S",
            description = "Lookups per second, all lookup threads; 0 = full speed (default: ${DEFAULT-VALUE}).")
    private long lookupRate;

    @Option(names = "--read-percent", paramLabel = "P",
            description = "Percent of lookups done with read(key, fn) instead of lookup(READ)+unlock "
                    + "(default: ${DEFAULT-VALUE}).")
    private int readPercent;

    @Option(names = "--churn-lookup-percent", paramLabel = "P",
            description = "Percent of lookups aimed at churning keys, which may miss (default: ${DEFAULT-VALUE}).")
    private int churnLookupPercent;

    @Option(names = "--churn-threads", paramLabel = "N", description = "Churn threads (default: ${DEFAULT-VALUE}).")
    private int churnThreads = 1;

    @Option(names = "--churn-rate", paramLabel = "PER_S",
            description = "Connections opened and closed per second, all churn threads; 0 = full speed "
                    + "(default: ${DEFAULT-VALUE}).")
    private long churnRate;

    @Option(names = "--churn-window", paramLabel = "N",
            description = "Connections each churn thread keeps open (default: ${DEFAULT-VALUE}).")
    private int churnWindow = ChurnConfig.CHURN_WINDOW_DEFAULT;

    @Option(names = "--flood", description = "Add an attacker thread inserting half-open connections from random "
            + "tuples that expire after --flood-ttl.")
    private boolean flood;

    @Option(names = "--flood-rate", paramLabel = "PER_S",
            description = "Half-open inserts per second; 0 = full speed (default: ${DEFAULT-VALUE}).")
    private long floodRate;

    @Option(names = "--flood-ttl", paramLabel = "D", converter = DurationConverter.class,
            description = "Lifetime of a half-open connection (default: 1s).")
    private Duration floodTtl = ChurnConfig.FLOOD_TTL_DEFAULT;

    @Option(names = "--flood-max", paramLabel = "N",
            description = "Most half-open connections at once; the oldest is dropped early at the limit "
                    + "(default: ${DEFAULT-VALUE}).")
    private int floodMax = ChurnConfig.FLOOD_MAX_DEFAULT;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    private Length length;

    /** Either a measured time or a number of operations. */
    static final class Length {
        @Option(names = "--duration", paramLabel = "D", converter = DurationConverter.class,
                description = "Measured time per strategy (default: 10s).")
        Duration duration;

        @Option(names = "--operations", paramLabel = "N",
                description = "Instead of --duration: measure until this many lookups (churn closes if there are "
                        + "no lookup threads, else flood inserts).")
        Long operations;
    }

    @Option(names = "--warmup", paramLabel = "D", converter = DurationConverter.class,
            description = "Unmeasured time before measuring, per strategy (default: 1s).")
    private Duration warmup = Duration.ofSeconds(1);

    @Option(names = "--lookup-sample-every", paramLabel = "K",
            description = "Time 1 in K lookups for the latency histogram (default: ${DEFAULT-VALUE}).")
    private int lookupSampleEvery = ChurnConfig.LOOKUP_SAMPLE_EVERY_DEFAULT;

    @Option(names = "--writer-sample-every", paramLabel = "K",
            description = "Time 1 in K inserts and removes (default: ${DEFAULT-VALUE}).")
    private int writerSampleEvery = ChurnConfig.WRITER_SAMPLE_EVERY_DEFAULT;

    @Option(names = "--sample-period", paramLabel = "D", converter = DurationConverter.class,
            description = "Pending-objects sampling period (default: 1ms).")
    private Duration samplePeriod = Duration.ofMillis(1);

    @Option(names = "--progress", paramLabel = "D", converter = DurationConverter.class,
            description = "Progress line period on stderr; 0 for none (default: 5s).")
    private Duration progress = Duration.ofSeconds(5);

    @Option(names = "--no-limits", description = "Build tables without limits(maxConnections, pendingLimit).")
    private boolean noLimits;

    @Option(names = "--pending-limit", paramLabel = "N",
            description = "The tables' pending limit (default: ${DEFAULT-VALUE}).")
    private int pendingLimit = ChurnConfig.PENDING_LIMIT_DEFAULT;

    @Option(names = "--seed", paramLabel = "SEED", description = "Random seed (default: ${DEFAULT-VALUE}).")
    private long seed = ChurnConfig.SEED_DEFAULT;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON to FILE.")
    private Path json;

    /**
     * Runs the command.
     *
     * @param args see {@code --help}
     */
    public static void main(final String[] args) {
        System.exit(new CommandLine(new ChurnCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    /**
     * The configuration the options describe.
     *
     * @return the configuration
     */
    ChurnConfig config() {
        final ChurnConfig.Builder b = ChurnConfig.builder()
                .strategies(strategies).connections(connections).lookupThreads(lookupThreads).lookupRate(lookupRate)
                .readPercent(readPercent).churnLookupPercent(churnLookupPercent).churnThreads(churnThreads)
                .churnRate(churnRate).churnWindow(churnWindow).flood(flood).floodRate(floodRate).floodTtl(floodTtl)
                .floodMax(floodMax).warmup(warmup).lookupSampleEvery(lookupSampleEvery)
                .writerSampleEvery(writerSampleEvery).samplePeriod(samplePeriod).progressEvery(progress)
                .limits(!noLimits).pendingLimit(pendingLimit).seed(seed);
        if (length != null && length.duration != null) {
            b.duration(length.duration);
        }
        if (length != null && length.operations != null) {
            b.operations(length.operations);
        }
        return b.build();
    }

    @Override
    public Integer call() throws IOException {
        final ChurnConfig cfg;
        try {
            cfg = config();
        } catch (final IllegalArgumentException e) {
            System.err.println("ChurnCommand: " + e.getMessage());
            return 2;
        }
        final ChurnReport report = ChurnHarness.run(cfg, System.err);
        System.out.print(report);
        System.out.flush();
        if (json != null) {
            Files.writeString(json, report.toJson() + "\n", StandardCharsets.UTF_8);
        }
        if (!report.clean()) {
            System.err.println("ChurnCommand: VIOLATIONS OR ERRORS, see above");
            return 1;
        }
        return 0;
    }

    /** Parses {@code 10s}, {@code 500ms}, {@code 100us}, {@code 250ns}, {@code 2m}, {@code 1h} or ISO-8601. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|h)?");

        @Override
        public Duration convert(final String value) {
            final String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(value.trim());
            }
            final Matcher m = SIMPLE.matcher(v);
            if (!m.matches()) {
                throw new CommandLine.TypeConversionException("not a duration: '" + value
                        + "' (examples: 10s, 500ms, 2m, PT10S)");
            }
            final double n = Double.parseDouble(m.group(1));
            final String unit = m.group(2) == null ? "s" : m.group(2);
            final double nanosPer = switch (unit) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "m" -> 60e9;
                case "h" -> 3600e9;
                default -> 1e9;
            };
            return Duration.ofNanos(Math.round(n * nanosPer));
        }
    }
}
