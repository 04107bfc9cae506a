package org.smr4j.offheap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;
import org.smr4j.SmrSeq;

/**
 * The depot of one size class of {@link SmrArena} (UMA's per-domain bucket cache): full FREE
 * magazines wait here as batches tagged with one {@code advance()} each, oldest first
 * ({@link #pending}); expired or collected ALLOC magazines wait in {@link #ready}. A batch
 * filled inside a read section of the domain cannot be tagged there (advancing inside a section
 * is an error), so it waits {@link #untagged} until the next enqueue outside a section, or a
 * reclaim, tags it with that call's advance (made after every free in it).
 *
 * <p>Invariants (under {@link #lock}): tags along {@code pending} are non-decreasing, because
 * each is taken under the lock; {@code headTag} is the head's tag or {@link SmrSeq#INVALID};
 * the block counts match the magazines. {@code headTag} is written with release stores under
 * the lock and read with acquire loads without it, as a hint: a stale value is at or before the
 * real head's tag, so a poll that reaches it is re-checked under the lock.
 */
final class Depot {
    final ReentrantLock lock = new ReentrantLock();
    final ArrayDeque<Magazine> pending = new ArrayDeque<>();
    final ArrayDeque<Magazine> ready = new ArrayDeque<>();
    final ArrayDeque<Magazine> untagged = new ArrayDeque<>();
    long pendingBlocks;
    long readyBlocks;
    long untaggedBlocks;
    /** Mirror of pending.peekFirst().tag, or INVALID. Accessed through {@link #HEAD_TAG}. */
    @SuppressWarnings("UnusedVariable") // read and written only through HEAD_TAG, which Error Prone does not follow
    private long headTag = SmrSeq.INVALID;

    long headTagAcquire() {
        // ORDER: acquire; pairs with the release store under the lock.
        return (long) HEAD_TAG.getAcquire(this);
    }

    /** Lock held: re-mirrors the head's tag. */
    void updateHeadLocked() {
        final Magazine h = pending.peekFirst();
        // ORDER: release; a reader of the hint sees a tag that was in the queue.
        HEAD_TAG.setRelease(this, h == null ? SmrSeq.INVALID : h.tag);
    }

    /** Lock held: tags {@code m} and every untagged batch with {@code tag} and queues them. */
    void queueLocked(final Magazine m, final long tag, final long now) {
        final boolean wasEmpty = pending.isEmpty();
        Magazine u;
        while ((u = untagged.pollFirst()) != null) {
            untaggedBlocks -= u.count;
            u.tag = tag;
            pending.addLast(u);
            pendingBlocks += u.count;
        }
        if (m != null) {
            m.tag = tag;
            m.enqueuedNanos = now;
            pending.addLast(m);
            pendingBlocks += m.count;
        }
        if (wasEmpty) {
            updateHeadLocked();
        }
    }

    /** Lock held: removes the head batch (whose goal the caller found reached). */
    Magazine dequeueHeadLocked() {
        final Magazine m = pending.pollFirst();
        pendingBlocks -= m.count;
        updateHeadLocked();
        return m;
    }

    // VarHandle mechanics
    private static final VarHandle HEAD_TAG;

    static {
        try {
            HEAD_TAG = MethodHandles.lookup().findVarHandle(Depot.class, "headTag", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
