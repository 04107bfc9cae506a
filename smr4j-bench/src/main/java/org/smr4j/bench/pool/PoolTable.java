package org.smr4j.bench.pool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link PoolBenchmark} with JMH's own command-line options and prints, from the results
 * of that very run, a markdown table: each case's mean and median (over all iterations of all
 * forks) in ns/op, its ratio to {@code NEW} (allocate a 64-byte object) and to {@code CLQ} of
 * the same method (thread count), and {@code -prof gc}'s {@code gc.alloc.rate.norm} in bytes/op.
 *
 * <p>Noise on a shared machine only adds time, so the median ratio is the less disturbed one;
 * quote both with the load average.
 *
 * <pre>
 * java -cp smr4j-bench/target/benchmarks.jar org.smr4j.bench.pool.PoolTable \
 *      -f 3 -wi 4 -w 1s -i 6 -r 1s -prof gc -rf json -rff pool.json
 * </pre>
 */
public final class PoolTable {
    private PoolTable() {
    }

    /**
     * Runs the benchmark and prints the table.
     *
     * @param args JMH command-line options (the include pattern defaults to PoolBenchmark)
     * @throws CommandLineOptionException if JMH rejects the options
     * @throws RunnerException if the run fails
     */
    public static void main(final String[] args) throws CommandLineOptionException, RunnerException {
        final CommandLineOptions cmd = new CommandLineOptions(args);
        final OptionsBuilder ob = new OptionsBuilder();
        if (cmd.getIncludes().isEmpty()) {
            ob.include(PoolBenchmark.class.getName());
        }
        final Collection<RunResult> results = new Runner(ob.parent(cmd).build()).run();
        System.out.println();
        System.out.print(table(results));
    }

    /** One case's numbers. */
    private record Row(String method, String impl, double mean, double error, double median, double bytes) {
    }

    static String table(final Collection<RunResult> results) {
        final List<Row> rows = new ArrayList<>();
        final Map<String, Row> byKey = new HashMap<>();
        for (final RunResult r : results) {
            final String bench = r.getParams().getBenchmark();
            final String method = bench.substring(bench.lastIndexOf('.') + 1);
            final String impl = r.getParams().getParam("impl");
            final Result<?> p = r.getPrimaryResult();
            final List<Double> its = new ArrayList<>();
            for (final BenchmarkResult br : r.getBenchmarkResults()) {
                for (final IterationResult ir : br.getIterationResults()) {
                    its.add(ir.getPrimaryResult().getScore());
                }
            }
            its.sort(null);
            final int n = its.size();
            final double median = n == 0 ? Double.NaN
                    : n % 2 == 1 ? its.get(n / 2) : (its.get(n / 2 - 1) + its.get(n / 2)) / 2;
            final Result<?> gc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            final Row row = new Row(method, impl, p.getScore(), p.getScoreError(), median,
                    gc == null ? Double.NaN : gc.getScore());
            rows.add(row);
            byKey.put(method + "/" + impl, row);
        }
        final StringBuilder sb = new StringBuilder();
        sb.append("| threads | impl | mean ns/op | ± error | median ns/op | mean / NEW | median / NEW "
                + "| mean / CLQ | median / CLQ | B/op |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (final Row row : rows) {
            final Row nw = byKey.get(row.method + "/NEW");
            final Row clq = byKey.get(row.method + "/CLQ");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s |%n",
                    "one".equals(row.method) ? "1" : "two".equals(row.method) ? "2" : row.method, row.impl,
                    row.mean, row.error, row.median,
                    ratio(row.mean, nw == null ? Double.NaN : nw.mean),
                    ratio(row.median, nw == null ? Double.NaN : nw.median),
                    ratio(row.mean, clq == null ? Double.NaN : clq.mean),
                    ratio(row.median, clq == null ? Double.NaN : clq.median),
                    Double.isNaN(row.bytes) ? "-" : String.format(Locale.ROOT, "%.1f", row.bytes)));
        }
        return sb.toString();
    }

    private static String ratio(final double a, final double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.2f", a / b);
    }
}
