package org.smr4j;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A named platform thread that runs the test's steps on request, so a test can drive a
 * reader (enter, hold, exit) or a waiter from its own thread deterministically. Every call is
 * bounded; failures come back with the actor's role in the message.
 */
final class Actor implements AutoCloseable {
    private static final long CALL_TIMEOUT_SECONDS = 10;

    private final String role;
    private final ExecutorService executor;
    private final Thread thread;

    Actor(final String role) {
        this.role = role;
        final Thread[] created = new Thread[1];
        this.executor = Executors.newSingleThreadExecutor(r -> {
            final Thread t = Thread.ofPlatform().name(role).daemon(true).unstarted(r);
            created[0] = t;
            return t;
        });
        // Start the thread now so that thread() is known before the first step.
        call(() -> null);
        this.thread = created[0];
    }

    /** The actor's thread. */
    Thread thread() {
        return thread;
    }

    /** Runs {@code step} on the actor's thread and waits (bounded) for it. */
    void run(final Runnable step) {
        call(() -> {
            step.run();
            return null;
        });
    }

    /** Runs {@code step} on the actor's thread and returns its result (bounded wait). */
    <T> T call(final Callable<T> step) {
        try {
            return executor.submit(step).get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new AssertionError(role + " failed", cause);
        } catch (final TimeoutException e) {
            throw new AssertionError(role + " did not finish its step within " + CALL_TIMEOUT_SECONDS + " s", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(role + ": interrupted", e);
        }
    }

    /**
     * Starts {@code step} on the actor's thread and returns once it has begun (bounded), so
     * that a following {@link TestSupport#awaitParked} sees the step parked, not the idle
     * executor waiting for work.
     */
    Future<?> submit(final Runnable step) {
        final CountDownLatch started = new CountDownLatch(1);
        final Future<?> future = executor.submit(() -> {
            started.countDown();
            step.run();
        });
        try {
            if (!started.await(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError(role + " did not start its step within " + CALL_TIMEOUT_SECONDS + " s");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(role + ": interrupted", e);
        }
        return future;
    }

    /** Waits (bounded) for a submitted step, rethrowing its failure. */
    static void join(final Future<?> future, final String what) {
        try {
            future.get(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            throw new AssertionError(what + " failed", e.getCause());
        } catch (final TimeoutException e) {
            throw new AssertionError(what + " did not finish within " + CALL_TIMEOUT_SECONDS + " s", e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(what + ": interrupted", e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError(role + " did not terminate");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
