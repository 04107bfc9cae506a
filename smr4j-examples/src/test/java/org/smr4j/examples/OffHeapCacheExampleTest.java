package org.smr4j.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The example's story, as a test: every page cached, the replaced half readable, the accounting printed. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OffHeapCacheExampleTest {
    @Test
    void cachesReplacesAndReadsPages() {
        final String summary = OffHeapCacheExample.cache(2000);
        assertThat(summary).contains("pages=2000", "first=1", "v2=<html>v2</html>");
        assertThat(summary).doesNotContain("inUse=0 ");
    }
}
