/**
 * A table of network connections looked up without locks, after FreeBSD's {@code in_pcb}.
 *
 * <ul>
 *   <li>{@link org.smr4j.netinet.ConnectionTable}: connections keyed by
 *       {@link org.smr4j.netinet.ConnectionKey} (protocol, addresses, ports), each with a
 *       {@link org.smr4j.netinet.ControlBlock} that carries its own lock, its generation and the
 *       caller's attachment. Lookups walk the hash chains inside a read section and try-lock the
 *       block they find, as {@code in_pcblookup} does; blocks are recycled through a pool.</li>
 *   <li>Five strategies with one contract ({@link org.smr4j.netinet.ConnectionTable.Strategy}):
 *       {@code SMR_DEFAULT} and {@code SMR_LAZY} (an {@link org.smr4j.Smr} domain and an
 *       {@link org.smr4j.SmrPool}: a removed block is reused only after its grace period),
 *       {@code PSERIALIZE} ({@link org.smr4j.Pserialize} and a {@code PR_PSERIALIZE}
 *       {@link org.smr4j.PserializePool}: immediate reuse, lookups revalidate), and, to compare
 *       against, {@code RW_LOCK} and {@code CONCURRENT_HASH_MAP} (a new block per connection,
 *       reclaimed by the garbage collector).</li>
 *   <li>{@link org.smr4j.netinet.ConnectionTable.Reader}: a per-thread handle for packet paths,
 *       with lookups that take the tuple's fields without building a key.</li>
 * </ul>
 *
 * <p>Which strategy wins on a given machine is what {@code ./smr4j} of the repository measures.
 * Maintainers: the conventions inside the code are in {@code docs/INTERNALS.md}.
 */
@NullMarked
package org.smr4j.netinet;

import org.jspecify.annotations.NullMarked;
