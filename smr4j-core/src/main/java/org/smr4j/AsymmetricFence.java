package org.smr4j;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A process-wide memory barrier issued by one thread on behalf of all: Linux
 * {@code membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)} through {@code java.lang.foreign}.
 *
 * <p>When {@link #fence()} returns, every thread of this process that was running on some CPU
 * during the call has executed a full memory barrier at a point between the call's entry and
 * its return, and every thread that was not running went through a context switch, which is a
 * full barrier too. Together with the full barrier in the calling thread this lets a lazy
 * reader publish its sequence with a plain store and no fence: the writer pays the fence for
 * everyone, once per tick, instead of every reader paying one per section. See the "Lazy mode"
 * part of the overview in {@link Smr}.
 *
 * <p>Availability is decided once, when this class initialises:
 * <ul>
 *   <li>the operating system is Linux on a CPU whose {@code membarrier} syscall number is
 *       known here;</li>
 *   <li>this module has native access ({@code --enable-native-access=org.smr4j}, or
 *       {@code ALL-UNNAMED} on the class path); we check first, so the JDK never prints its
 *       own restricted-method warning on our behalf;</li>
 *   <li>{@code MEMBARRIER_CMD_QUERY} lists the private expedited command and registering for
 *       it succeeds;</li>
 *   <li>the system property {@value #ENABLED_PROP_NAME} is not {@code false} (tests use it to
 *       exercise the fallback).</li>
 * </ul>
 * Where any of these fails, {@link #available()} is false, {@link #unavailableReason()} says
 * which, and lazy domains fall back to fenced readers: safe, slower, never silent.
 */
final class AsymmetricFence {
    /** System property that disables the barrier when set to {@code false}. */
    static final String ENABLED_PROP_NAME = "org.smr4j.membarrier";
    /** Default for {@link #ENABLED_PROP_NAME}: use the barrier where it works. */
    static final boolean ENABLED_DEFAULT = true;

    private static final int MEMBARRIER_CMD_QUERY = 0;
    private static final int MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3;
    private static final int MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;

    /** {@code long syscall(long number, ...)} with three int variadic arguments. */
    private static final @Nullable MethodHandle SYSCALL;
    /** The membarrier syscall number for this CPU, or -1. */
    private static final long SYS_MEMBARRIER;
    /** Null when the barrier is available; otherwise why it is not. */
    private static final @Nullable String UNAVAILABLE_REASON;

    static {
        final long number = syscallNumber(System.getProperty("os.arch", ""));
        final MethodHandle[] handle = new MethodHandle[1];
        final String reason = probe(number, handle);
        SYSCALL = reason == null ? handle[0] : null;
        SYS_MEMBARRIER = number;
        UNAVAILABLE_REASON = reason;
    }

    /**
     * Decides availability; see the class comment. Returns null and stores the downcall
     * handle in {@code handle[0]} when the barrier works, else returns the reason.
     */
    @SuppressWarnings("restricted") // guarded by isNativeAccessEnabled(): never warns at run time
    private static @Nullable String probe(final long number, final MethodHandle[] handle) {
        try {
            if (!Boolean.parseBoolean(System.getProperty(ENABLED_PROP_NAME, Boolean.toString(ENABLED_DEFAULT)))) {
                return "disabled by -D" + ENABLED_PROP_NAME + "=false";
            }
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                return "membarrier(2) is Linux only, this is " + System.getProperty("os.name");
            }
            if (number < 0) {
                return "no membarrier(2) syscall number known for os.arch=" + System.getProperty("os.arch");
            }
            if (!AsymmetricFence.class.getModule().isNativeAccessEnabled()) {
                return "native access not granted to " + moduleName()
                        + " (add --enable-native-access=" + moduleName() + ")";
            }
            final Linker linker = Linker.nativeLinker();
            final Optional<MemorySegment> symbol = linker.defaultLookup().find("syscall");
            if (symbol.isEmpty()) {
                return "libc has no syscall symbol";
            }
            final MethodHandle syscall = linker.downcallHandle(symbol.get(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(1));
            final long supported = (long) syscall.invokeExact(number, MEMBARRIER_CMD_QUERY, 0, 0);
            if (supported < 0 || (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) {
                return "membarrier(2) QUERY returned " + supported + ", without MEMBARRIER_CMD_PRIVATE_EXPEDITED";
            }
            final long registered = (long) syscall.invokeExact(number, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
            if (registered != 0) {
                return "membarrier(2) REGISTER_PRIVATE_EXPEDITED returned " + registered;
            }
            handle[0] = syscall;
            return null;
        } catch (final Throwable t) {
            return "membarrier(2) probe failed: " + t;
        }
    }

    private AsymmetricFence() {
    }

    /** Linux syscall numbers of membarrier; only x86-64 is exercised by this project's CI. */
    private static long syscallNumber(final String arch) {
        return switch (arch) {
            case "amd64", "x86_64" -> 324;
            case "aarch64", "riscv64", "loongarch64" -> 283; // the asm-generic table
            case "ppc64", "ppc64le" -> 365;
            case "s390x" -> 356;
            default -> -1;
        };
    }

    private static String moduleName() {
        final Module module = AsymmetricFence.class.getModule();
        return module.isNamed() ? module.getName() : "ALL-UNNAMED";
    }

    /**
     * Returns whether {@link #fence()} may be called.
     *
     * @return true if the process-wide barrier works here
     */
    static boolean available() {
        return UNAVAILABLE_REASON == null;
    }

    /**
     * Returns why the barrier is unavailable.
     *
     * @return the reason, or {@code null} when it is available
     */
    static @Nullable String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /**
     * Issues a full memory barrier on every running thread of this process and waits for it.
     * Costs a system call and an inter-processor interrupt per CPU that runs one of our
     * threads: microseconds, so callers amortise it (one per tick per domain).
     *
     * @throws IllegalStateException if the barrier is unavailable or the kernel refuses it
     */
    static void fence() {
        final MethodHandle syscall = SYSCALL;
        if (syscall == null) {
            throw new IllegalStateException("membarrier(2) unavailable: " + UNAVAILABLE_REASON);
        }
        final long result;
        try {
            result = (long) syscall.invokeExact(SYS_MEMBARRIER, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
        } catch (final Throwable t) {
            throw new IllegalStateException("membarrier(2) call failed", t);
        }
        if (result != 0) {
            // Registered at class initialisation and never unregistered: the kernel cannot
            // refuse later. If it does, fence-free readers are no longer safe; fail loudly.
            throw new IllegalStateException("membarrier(PRIVATE_EXPEDITED) returned " + result);
        }
    }
}
