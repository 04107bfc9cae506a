package org.smr4j.bench.pool;

import java.util.Locale;

import org.smr4j.SmrPool;

/**
 * What does the first {@code get} of a pool cost in a fresh JVM? A one-shot measurement, not
 * JMH (the question is a cold start): build a pool, time its first get, then one put and get.
 * Before the fix it paid for loading and registering the pool's JFR event classes (about
 * 200 ms here); events are now created only once a Flight Recorder exists.
 *
 * <pre>
 * for i in 1 2 3; do java -cp smr4j-bench/target/benchmarks.jar org.smr4j.bench.pool.FirstGet; done
 * java -XX:StartFlightRecording -cp smr4j-bench/target/benchmarks.jar org.smr4j.bench.pool.FirstGet
 * </pre>
 */
public final class FirstGet {

    private FirstGet() {
    }

    /**
     * Runs the measurement once.
     *
     * @param args ignored
     */
    public static void main(final String[] args) {
        final long t0 = System.nanoTime();
        try (SmrPool<Object> pool = SmrPool.builder("first-get", Object::new).jmx(false).build()) {
            final long t1 = System.nanoTime();
            final Object o = pool.get();
            final long t2 = System.nanoTime();
            pool.put(o);
            pool.put(pool.get());
            final long t3 = System.nanoTime();
            System.out.printf(Locale.ROOT, "build %.1f ms, first get %.1f ms, then put + get + put %.3f ms, "
                    + "JFR initialised: %b%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6,
                    jdk.jfr.FlightRecorder.isInitialized());
        }
    }
}
