package org.smr4j.demo.report;

import java.time.Instant;
import java.util.List;

/**
 * What a report says about the run itself.
 *
 * @param command the command line as the user typed it (program name and arguments)
 * @param started when the run started
 * @param wallSeconds how long it took, forks included, until the report was written
 * @param machine the machine and the JVM of the command
 * @param jfrFiles the flight recordings of the run (relative to the report folder), empty
 *        without {@code --jfr}
 */
public record RunInfo(String command, Instant started, double wallSeconds, Machine machine, List<String> jfrFiles) {

    /** Copies the list. */
    public RunInfo {
        jfrFiles = List.copyOf(jfrFiles);
    }
}
