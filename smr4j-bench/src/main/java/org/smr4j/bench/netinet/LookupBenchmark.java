package org.smr4j.bench.netinet;

import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;

/**
 * What does finding an established connection cost in each {@link ConnectionTable} strategy,
 * compared with a bare {@link ConcurrentHashMap#get} on the same keys, alone and while another
 * thread opens and closes connections? Issue 11's targets for the lazy-SMR {@code read}: at
 * least 1.0x the throughput of {@code ConcurrentHashMap.get} when both build the key from the
 * fields per lookup ({@code fieldsRead} against {@link #chmGetFields}), at least 0.9x with
 * prebuilt keys ({@code readerRead} and {@code read} against {@link #chmGet}); issue 4's: at
 * least 3x the reader-writer lock under churn. Throughput is the inverse of the scores here
 * (ns/op): 0.9x the throughput is at most {@code chmGet / 0.9} ns.
 *
 * <p>Setup, per fork: {@code connections} established IPv4 connections (the
 * {@link NetinetKeys} address plan), each with an attachment; a random permutation of
 * <em>copies</em> of their keys (equal, not identical, as a packet path builds its key), and
 * the same permutation as five int arrays of fields (protocol, addresses, ports), walked in
 * order by each benchmark thread. The table has the harness's limits
 * ({@code limits(connections + window + 64, 4096)}).
 * <ul>
 *   <li>{@link #chmGet}: the baseline, {@code ConcurrentHashMap<ConnectionKey, Object>.get} of the
 *       same copies; measured once per {@code connections} (it has no {@code strategy}).</li>
 *   <li>{@link #chmGetFields}: the baseline of the field lookups, the same {@code get} of a key
 *       built from the fields per lookup.</li>
 *   <li>{@link #chmGetConnection}: {@code get} of a connection object and a read of its
 *       field, what {@code read(key, attachment)} does in idiomatic Java.</li>
 *   <li>{@link #lookup}, by {@code operation}: {@code lookup} is {@code lookup(key, READ)},
 *       read the attachment under the lock, {@code unlock()} (what packet input does with an
 *       {@code inpcb}); {@code read} is {@code read(key, ControlBlock::attachment)}, the
 *       lock-free path shaped like {@code ConcurrentHashMap.get}; {@code readerLookup} and
 *       {@code readerRead} are the same through the thread's {@link ConnectionTable.Reader}
 *       (no thread-local lookup per call); {@code fieldsLookup} and {@code fieldsRead} are the
 *       handle's {@code lookupIpv4}/{@code readIpv4} of the five fields (no key object).</li>
 *   <li>group {@code churn}: the same lookup on one thread ({@link #churnLookup}) while one
 *       writer ({@link #churnWriter}) opens a connection of its own ({@code insert} +
 *       {@code unlock}) and closes the one it opened {@value #WINDOW} operations earlier
 *       ({@code remove}) per operation, so that the RW lock's writers take the table lock
 *       against the reader and the pools recycle blocks under it. The group uses both cores of
 *       this machine: its scores include whatever the neighbours take.</li>
 * </ul>
 * A lookup that misses throws (every key is present): the numbers are of hits only. The churn
 * harness ({@code smr4j churn}, in smr4j-demo) checks every answer and measures latency, pending blocks,
 * reuse delay and allocation; this class measures the per-operation cost without timers.
 *
 * <p>Run (from the repository root, after
 * {@code mvn -B -pl smr4j-bench -am package -DskipTests -Djmh.skip=true}); every measurement
 * under {@code flock /tmp/jmh.lock} (one benchmark on the machine at a time), with
 * {@code uptime} before and after:
 * <pre>
 * # The issue 11 comparison, the lead's quiet-machine run (3 forks; 10k and 100k; alone):
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar \
 *      'netinet.LookupBenchmark.(chmGet|chmGetFields|chmGetConnection|lookup)$' \
 *      -p strategy=SMR_LAZY,SMR_DEFAULT,PSERIALIZE,CONCURRENT_HASH_MAP \
 *      -p operation=read,readerRead,fieldsRead,lookup,readerLookup,fieldsLookup \
 *      -f 3 -wi 5 -w 1s -i 8 -r 1s -rf json -rff lookup-reader.json
 * # ... and under churn (the group uses both cores):
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'netinet.LookupBenchmark.churn' \
 *      -p operation=read,readerRead,fieldsRead,lookup -f 3 -wi 5 -w 1s -i 8 -r 1s -rf json -rff lookup-churn.json
 * # The short A/B of a change (one fork, 10k, alone, about 4 minutes):
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar \
 *      'netinet.LookupBenchmark.(chmGet|chmGetFields|lookup)$' -p connections=10000 -p strategy=SMR_LAZY \
 *      -p operation=read,readerRead,fieldsRead,readerLookup,fieldsLookup -f 1 -wi 3 -w 1s -i 5 -r 1s
 * # Every strategy and operation (the full matrix: about an hour with 3 forks):
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'netinet.LookupBenchmark' \
 *      -f 3 -wi 5 -w 1s -i 8 -r 1s -rf json -rff lookup.json
 * # bytes per operation (expected 0 for every lookup, chmGetFields included when escape
 * # analysis removes the key; for the churn writer, about 200 for RW_LOCK and
 * # CONCURRENT_HASH_MAP, a new block per connection, and about 0 for the pools):
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'netinet.LookupBenchmark' -p connections=10000 \
 *      -f 1 -prof gc
 * # where the time goes (this KVM guest has no hardware counters: sample cpu-clock; needs hsdis,
 * # see smr4j-bench/README.md):
 * flock /tmp/jmh.lock java -jar smr4j-bench/target/benchmarks.jar 'netinet.LookupBenchmark.lookup' \
 *      -p strategy=SMR_LAZY -p operation=fieldsRead -p connections=10000 -f 1 -prof 'perfasm:events=cpu-clock'
 * </pre>
 * {@code --enable-native-access=ALL-UNNAMED} is in {@link Fork#jvmArgsAppend()} so that lazy
 * domains get {@code membarrier(2)}; without it the {@code SMR_LAZY} setup fails rather than
 * measure fenced readers under the name lazy.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 3, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class LookupBenchmark {

    /** Connections the churn writer keeps open. */
    public static final int WINDOW = 1024;

    /** The read of {@code operation=read}: a constant, so calls do not capture. */
    static final Function<ControlBlock, Object> ATTACHMENT = ControlBlock::attachment;

    /** The established connections, their lookup order and the baseline map. */
    @State(Scope.Benchmark)
    public static class Keys {
        /** Established connections (10k fits this machine's caches, 100k does not). */
        @Param({"10000", "100000"})
        public int connections;

        ConnectionKey[] established;
        Object[] attachments;
        /** Copies of the established keys, in random order. */
        ConnectionKey[] order;
        /** The fields of {@link #order}, as a packet path has them (protocol, addresses, ports). */
        int[] protocol;
        int[] localAddress;
        int[] localPort;
        int[] foreignAddress;
        int[] foreignPort;
        ConcurrentHashMap<ConnectionKey, Object> map;
        /** The same keys mapped to connection objects that hold the attachment. */
        ConcurrentHashMap<ConnectionKey, Connection> connectionMap;

        /** Builds the keys, the order and the baseline map. */
        @Setup(Level.Trial)
        public void setup() {
            established = new ConnectionKey[connections];
            attachments = new Object[connections];
            order = new ConnectionKey[connections];
            map = new ConcurrentHashMap<>();
            connectionMap = new ConcurrentHashMap<>();
            for (int i = 0; i < connections; i++) {
                established[i] = NetinetKeys.establishedKey(i);
                attachments[i] = Integer.valueOf(i);
                order[i] = NetinetKeys.establishedKey(i);
                map.put(established[i], attachments[i]);
                connectionMap.put(established[i], new Connection(established[i], attachments[i]));
            }
            final SplittableRandom rnd = new SplittableRandom(42);
            for (int i = order.length - 1; i > 0; i--) {
                final int j = rnd.nextInt(i + 1);
                final ConnectionKey k = order[i];
                order[i] = order[j];
                order[j] = k;
            }
            protocol = new int[connections];
            localAddress = new int[connections];
            localPort = new int[connections];
            foreignAddress = new int[connections];
            foreignPort = new int[connections];
            for (int i = 0; i < connections; i++) {
                final ConnectionKey k = order[i];
                protocol[i] = k.protocol();
                localAddress[i] = (int) k.localLo(); // IPv4: the low half of the mapped address
                localPort[i] = k.localPort();
                foreignAddress[i] = (int) k.foreignLo();
                foreignPort[i] = k.foreignPort();
                if (!ConnectionKey.ipv4(protocol[i], localAddress[i], localPort[i], foreignAddress[i], foreignPort[i])
                        .equals(k)) {
                    throw new IllegalStateException("fields do not rebuild " + k);
                }
            }
        }
    }

    /** The table under test, holding the established connections. */
    @State(Scope.Benchmark)
    public static class Table {
        /** The strategy measured. */
        @Param({"SMR_DEFAULT", "SMR_LAZY", "PSERIALIZE", "RW_LOCK", "CONCURRENT_HASH_MAP"})
        public Strategy strategy;

        /**
         * {@code lookup}: {@code table.lookup(key, READ)} + unlock; {@code read}:
         * {@code table.read(key, attachment)}; {@code readerLookup}, {@code readerRead}: the
         * same through the thread's {@link ConnectionTable.Reader}; {@code fieldsLookup},
         * {@code fieldsRead}: the handle's {@code lookupIpv4}/{@code readIpv4} of the fields,
         * no key.
         */
        @Param({"lookup", "read", "readerLookup", "readerRead", "fieldsLookup", "fieldsRead"})
        public String operation;

        ConnectionTable table;
        int op;

        /**
         * Builds the table and inserts the established connections.
         *
         * @param keys the keys
         */
        @Setup(Level.Trial)
        public void setup(final Keys keys) {
            op = switch (operation) {
                case "lookup" -> LOOKUP;
                case "read" -> READ;
                case "readerLookup" -> READER_LOOKUP;
                case "readerRead" -> READER_READ;
                case "fieldsLookup" -> FIELDS_LOOKUP;
                case "fieldsRead" -> FIELDS_READ;
                default -> throw new IllegalArgumentException("operation must be lookup, read, readerLookup, "
                        + "readerRead, fieldsLookup or fieldsRead: " + operation);
            };
            if (strategy == Strategy.SMR_LAZY && !NetinetKeys.lazyFenceFree()) {
                throw new IllegalStateException("lazy domain has fenced readers (membarrier unavailable): "
                        + "run with --enable-native-access=ALL-UNNAMED on Linux");
            }
            table = ConnectionTable.builder(strategy).name("lookupbench-" + strategy)
                    .limits(keys.connections + WINDOW + 64L, NetinetKeys.PENDING_LIMIT_DEFAULT).build();
            for (int i = 0; i < keys.connections; i++) {
                final ControlBlock b = table.insert(keys.established[i]);
                b.attach(keys.attachments[i]);
                b.unlock();
            }
        }

        /** Prints the table's counters (fallbacks, pending) in the fork's output, and closes it. */
        @TearDown(Level.Trial)
        public void tearDown() {
            System.out.println("\n" + table.stats());
            table.close();
        }
    }

    static final int LOOKUP = 0;
    static final int READ = 1;
    static final int READER_LOOKUP = 2;
    static final int READER_READ = 3;
    static final int FIELDS_LOOKUP = 4;
    static final int FIELDS_READ = 5;

    /** A thread's position in the lookup order. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        ConnectionKey next(final ConnectionKey[] order) {
            return order[nextIndex(order.length)];
        }

        int nextIndex(final int length) {
            final int i = next;
            next = i + 1 == length ? 0 : i + 1;
            return i;
        }
    }

    /** The benchmark thread's {@link ConnectionTable.Reader}, taken in its own setup (JMH runs a thread-scoped setup on that thread). */
    @State(Scope.Thread)
    public static class Handle {
        ConnectionTable.Reader reader;

        /**
         * Takes the calling thread's handle.
         *
         * @param t the table
         */
        @Setup(Level.Trial)
        public void setup(final Table t) {
            reader = t.table.reader();
        }
    }

    /** The churn writer's own connections: a ring of keys, {@value #WINDOW} open at a time. */
    @State(Scope.Thread)
    public static class Writer {
        ConnectionKey[] ring;
        int next;

        /**
         * Builds the ring and opens the first {@value #WINDOW} connections.
         *
         * @param t the table
         */
        @Setup(Level.Trial)
        public void setup(final Table t) {
            ring = new ConnectionKey[2 * WINDOW];
            for (int j = 0; j < ring.length; j++) {
                ring[j] = NetinetKeys.churnKey(0, j);
            }
            for (int j = 0; j < WINDOW; j++) {
                t.table.insert(ring[j]).unlock();
            }
            next = WINDOW;
        }
    }

    /**
     * The baseline: {@code ConcurrentHashMap.get} of the same keys.
     *
     * @param keys the keys and map
     * @param c this thread's cursor
     * @return the value
     */
    @Benchmark
    public Object chmGet(final Keys keys, final Cursor c) {
        return keys.map.get(c.next(keys.order));
    }

    /**
     * The baseline of the field lookups: {@code ConcurrentHashMap.get} of a key built from the
     * same fields per lookup ({@code ConnectionKey.ipv4} of five ints), as a packet path must
     * when its map is keyed by an object. Whether the key's allocation is eliminated (escape
     * analysis) shows in {@code -prof gc}.
     *
     * @param keys the fields and map
     * @param c this thread's position
     * @return the value
     */
    @Benchmark
    public Object chmGetFields(final Keys keys, final Cursor c) {
        final int i = c.nextIndex(keys.connections);
        return keys.map.get(ConnectionKey.ipv4(keys.protocol[i], keys.localAddress[i], keys.localPort[i],
                keys.foreignAddress[i], keys.foreignPort[i]));
    }

    /**
     * The second baseline: what {@code read(key, ControlBlock::attachment)} does in idiomatic
     * Java, {@code ConcurrentHashMap.get} of a connection object and a read of its field. The
     * first baseline returns the attachment itself and never touches a connection object, which
     * every strategy must (the tables map keys to blocks).
     *
     * @param keys the keys
     * @param c this thread's position
     * @return the attachment
     */
    @Benchmark
    public Object chmGetConnection(final Keys keys, final Cursor c) {
        return keys.connectionMap.get(c.next(keys.order)).attachment;
    }

    /** A connection object for {@link #chmGetConnection}: the key and the attachment. */
    static final class Connection {
        final ConnectionKey key;
        final Object attachment;

        Connection(final ConnectionKey key, final Object attachment) {
            this.key = key;
            this.attachment = attachment;
        }
    }

    /**
     * One lookup of an established connection, alone.
     *
     * @param t the table
     * @param keys the keys
     * @param c this thread's cursor
     * @param h this thread's reader handle
     * @return the connection's attachment
     */
    @Benchmark
    public Object lookup(final Table t, final Keys keys, final Cursor c, final Handle h) {
        return find(t, h.reader, keys, c.nextIndex(keys.connections));
    }

    /**
     * One lookup of an established connection while {@link #churnWriter} churns.
     *
     * @param t the table
     * @param keys the keys
     * @param c this thread's cursor
     * @param h this thread's reader handle
     * @return the connection's attachment
     */
    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public Object churnLookup(final Table t, final Keys keys, final Cursor c, final Handle h) {
        return find(t, h.reader, keys, c.nextIndex(keys.connections));
    }

    /**
     * One churn operation: open a connection, close the one opened {@value #WINDOW} earlier.
     *
     * @param t the table
     * @param w this writer's keys
     * @return true (the close found its connection)
     */
    @Benchmark
    @Group("churn")
    @GroupThreads(1)
    public boolean churnWriter(final Table t, final Writer w) {
        final ConnectionKey[] ring = w.ring;
        final int i = w.next;
        w.next = i + 1 == ring.length ? 0 : i + 1;
        final ControlBlock b = t.table.insert(ring[i]);
        if (b == null) {
            throw new IllegalStateException("closed connection still present: " + ring[i]);
        }
        b.unlock();
        final int old = i >= WINDOW ? i - WINDOW : i - WINDOW + ring.length;
        if (!t.table.remove(ring[old])) {
            throw new IllegalStateException("open connection not found: " + ring[old]);
        }
        return true;
    }

    private static Object find(final Table t, final ConnectionTable.Reader r, final Keys keys, final int i) {
        final Object v;
        switch (t.op) {
            case READ -> v = t.table.read(keys.order[i], ATTACHMENT);
            case READER_READ -> v = r.read(keys.order[i], ATTACHMENT);
            case FIELDS_READ -> v = r.readIpv4(keys.protocol[i], keys.localAddress[i], keys.localPort[i],
                    keys.foreignAddress[i], keys.foreignPort[i], ATTACHMENT);
            default -> {
                final ControlBlock b = switch (t.op) {
                    case LOOKUP -> t.table.lookup(keys.order[i], LockMode.READ);
                    case READER_LOOKUP -> r.lookup(keys.order[i], LockMode.READ);
                    default -> r.lookupIpv4(keys.protocol[i], keys.localAddress[i], keys.localPort[i],
                            keys.foreignAddress[i], keys.foreignPort[i], LockMode.READ);
                };
                if (b == null) {
                    throw new IllegalStateException(t.operation + " missed an established connection: " + keys.order[i]);
                }
                v = b.attachment();
                b.unlock();
            }
        }
        if (v == null) {
            throw new IllegalStateException(t.operation + " missed an established connection: " + keys.order[i]);
        }
        return v;
    }
}
