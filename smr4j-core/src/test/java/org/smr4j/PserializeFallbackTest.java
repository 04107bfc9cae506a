package org.smr4j;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fallback where {@code membarrier(2)} is unavailable, in a forked JVM started with
 * {@code -Dorg.smr4j.membarrier=false} (availability is decided once per process, when
 * {@link AsymmetricFence} initialises, so it cannot be flipped inside the test JVM). The child
 * checks that readers are fenced, that no membarrier is issued, and that perform() still waits
 * for a reader inside; the parent checks the one-line notice appears exactly once although
 * two instances are created.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PserializeFallbackTest {
    private static final String NOTICE = "pserialize readers use a store-load fence (safe, slower)";

    @Test
    void membarrierDisabledMeansFencedReadersAndOneNotice() throws Exception {
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        final List<String> command = new ArrayList<>(List.of(java.toString(),
                "-ea", "--enable-native-access=ALL-UNNAMED",
                "-D" + AsymmetricFence.ENABLED_PROP_NAME + "=false",
                "-cp", System.getProperty("java.class.path"),
                Child.class.getName()));
        final Path out = Files.createTempFile("pserialize-fallback", ".out");
        final Path err = Files.createTempFile("pserialize-fallback", ".err");
        try {
            final Process process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertThat(process.waitFor(45, TimeUnit.SECONDS)).as("child finished").isTrue();
            final String stdout = Files.readString(out, StandardCharsets.UTF_8);
            final String stderr = Files.readString(err, StandardCharsets.UTF_8);
            assertThat(process.exitValue()).as("child exit; stdout=%s stderr=%s", stdout, stderr).isZero();
            assertThat(stdout).contains("OK fenced=false membarriers=0 waits=1");
            assertThat(stderr.split(Pattern.quote(NOTICE), -1)).as("notice once: %s", stderr).hasSize(2);
            assertThat(stderr).contains("disabled by -D" + AsymmetricFence.ENABLED_PROP_NAME + "=false");
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs in the forked JVM. */
    static final class Child {
        private Child() {
        }

        public static void main(final String[] args) throws Exception {
            final Pserialize first = Pserialize.create("fallback-1");
            final Pserialize psz = Pserialize.create("fallback-2");
            check(!AsymmetricFence.available(), "membarrier should be disabled");
            check(!first.fenceFreeReaders() && !psz.fenceFreeReaders(), "readers should be fenced");
            final CountDownLatch inside = new CountDownLatch(1);
            final CountDownLatch release = new CountDownLatch(1);
            final Thread reader = Thread.ofPlatform().name("reader-inside").start(() -> {
                psz.enter();
                inside.countDown();
                try {
                    release.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                psz.exit();
            });
            inside.await();
            final Thread writer = Thread.ofPlatform().name("writer-perform").start(psz::perform);
            writer.join(200);
            check(writer.isAlive(), "perform() must wait for the reader");
            release.countDown();
            writer.join(10_000);
            reader.join(10_000);
            check(!writer.isAlive(), "perform() must return after the reader left");
            final Pserialize.Stats stats = psz.stats();
            System.out.println("OK fenced=" + psz.fenceFreeReaders() + " membarriers=" + stats.membarriers()
                    + " waits=" + stats.waits());
            System.out.flush();
        }

        private static void check(final boolean condition, final String what) {
            if (!condition) {
                System.err.println("FAILED: " + what);
                System.exit(1);
            }
        }
    }
}
