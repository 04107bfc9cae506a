package org.smr4j.demo.report;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The machine and the JVM a report was made on, as far as Java can tell.
 *
 * @param cpuModel the CPU's model name ({@code /proc/cpuinfo}), or "unknown"
 * @param cpus processors available to the JVM
 * @param memoryBytes physical memory, or -1 if unknown
 * @param os operating system name, version and architecture
 * @param java the JVM: name, version, vendor
 * @param javaHome where it is installed
 * @param jvmArguments the arguments of the JVM that wrote the report (the forks' are per
 *        measurement)
 * @param loadAtStart the one-minute load average when the run started
 */
public record Machine(String cpuModel, int cpus, long memoryBytes, String os, String java, String javaHome,
        List<String> jvmArguments, double loadAtStart) {

    /** Copies the list. */
    public Machine {
        jvmArguments = List.copyOf(jvmArguments);
    }

    /** @return this machine and JVM, now */
    public static Machine probe() {
        long memory = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            memory = os.getTotalMemorySize();
        }
        return new Machine(readCpuModel(), Runtime.getRuntime().availableProcessors(), memory,
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + " ("
                        + System.getProperty("java.vendor") + ")",
                System.getProperty("java.home"), ManagementFactory.getRuntimeMXBean().getInputArguments(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    private static String readCpuModel() {
        try {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (final IOException | RuntimeException e) {
            // not Linux, or not readable: say so below
        }
        return "unknown";
    }

    /** @return one line: {@code 2 × AMD EPYC 7B13, 23.5 GiB, Linux 6.1 amd64} */
    public String summary() {
        return cpus + " × " + cpuModel + (memoryBytes > 0 ? Format.fmt(", %.1f GiB", memoryBytes / (double) (1L << 30))
                : "") + ", " + os;
    }
}
