package org.smr4j.demo.fork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleConsumer;
import org.smr4j.demo.churn.Json;

/**
 * One measurement in a JVM of its own, for scenarios other than the churn harness's: writes a
 * request as JSON, starts {@code java <options> -cp <this class path> <main> request.json
 * result.json} with its output in a log, waits for it (telling the caller the fraction of the
 * expected time gone), and reads the result back. It keeps {@link FairHarness}'s conventions:
 * the same class-data-sharing archive ({@link FairHarness#classDataSharing()}), the same
 * overrun allowance ({@value FairHarness#OVERRUN_SECONDS} s), and a {@link FairHarness.ForkFailure}
 * that names the fork, the telling line of its log and the log.
 *
 * <p>The main class must write the result file and exit 0, or exit nonzero with the reason in
 * its output.
 *
 * <p>Threads: called from one thread. Memory consistency: the result reaches this JVM as a file
 * written before the fork exited and read after {@link Process#waitFor}.
 */
public final class JvmFork {

    private JvmFork() {
    }

    /**
     * What a fork returned.
     *
     * @param <T> the result's type
     * @param result the result read back
     * @param wallSeconds the fork's whole life, start-up included
     * @param log its log file
     */
    public record Outcome<T>(T result, double wallSeconds, Path log) {
    }

    /**
     * Runs one fork.
     *
     * @param <T> the result's type
     * @param stem names the request, result, log ({@code <stem>.log}) and recording
     * @param main the class whose {@code main(request, result)} runs in the fork
     * @param request written as JSON for the fork
     * @param resultType what the fork writes
     * @param jvmOptions the fork's JVM options
     * @param workDir where the files go (created if absent)
     * @param jfr the fork's flight recording, or null for none
     * @param expectedSeconds how long it should take; it is ended {@value FairHarness#OVERRUN_SECONDS} s
     *        after that
     * @param within told the fraction of {@code expectedSeconds} gone (at most 0.97 until it exits, then 1)
     * @return the result
     * @throws FairHarness.ForkFailure if the fork could not start, failed, or overran
     */
    public static <T> Outcome<T> run(final String stem, final Class<?> main, final Object request,
            final Class<T> resultType, final List<String> jvmOptions, final Path workDir, final Path jfr,
            final double expectedSeconds, final DoubleConsumer within) {
        Objects.requireNonNull(stem, "stem");
        Objects.requireNonNull(main, "main");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(resultType, "resultType");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(within, "within");
        final Path req = workDir.resolve(stem + ".request.json");
        final Path res = workDir.resolve(stem + ".result.json");
        final Path log = workDir.resolve(stem + ".log");
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(FairHarness.classDataSharing());
        if (jfr != null) {
            cmd.add("-XX:StartFlightRecording=filename=" + jfr + ",name=" + stem);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.add(req.toString());
        cmd.add(res.toString());
        final long t0 = System.nanoTime();
        final Process p;
        try {
            Files.createDirectories(workDir);
            if (jfr != null) {
                Files.createDirectories(jfr.toAbsolutePath().getParent());
            }
            Json.write(req, request);
            Files.deleteIfExists(res);
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (final IOException e) {
            throw new FairHarness.ForkFailure("cannot start the JVM for " + stem + ": " + e.getMessage(), log, e);
        }
        final long deadline = t0 + TimeUnit.SECONDS.toNanos((long) Math.ceil(expectedSeconds)
                + FairHarness.OVERRUN_SECONDS);
        try {
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                final long now = System.nanoTime();
                within.accept(Math.min(0.97, (now - t0) / 1e9 / expectedSeconds));
                if (now - deadline > 0) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new FairHarness.ForkFailure(stem + " did not finish within "
                            + Math.round(expectedSeconds + FairHarness.OVERRUN_SECONDS) + " s and was ended; its log: "
                            + log, log, null);
                }
            }
        } catch (final InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new FairHarness.ForkFailure(stem + " interrupted", log, e);
        }
        final double wall = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0 || !Files.isRegularFile(res)) {
            throw new FairHarness.ForkFailure(stem + " failed (exit " + p.exitValue() + "): "
                    + FairHarness.telling(log) + "; its log: " + log, log, null);
        }
        final T result = Json.read(res, resultType);
        within.accept(1.0);
        return new Outcome<>(result, wall, log);
    }
}
