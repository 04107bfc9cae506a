package org.smr4j.netinet.lincheck;

import java.util.HashSet;
import java.util.Set;

/**
 * The sequential specification of {@link TableOperationsWithRehash}: a set of the keys
 * present, with the port 80 wildcard listener always there.
 */
public final class MapSpecification {
    private final Set<Integer> conns = new HashSet<>();
    private final Set<Integer> listeners = new HashSet<>();

    public boolean insert(final int c) {
        return conns.add(c);
    }

    public boolean remove(final int c) {
        return conns.remove(c);
    }

    public int lookup(final int c) {
        return conns.contains(c) ? c : -1;
    }

    public int lookupWrite(final int c) {
        return lookup(c);
    }

    public int read(final int c) {
        return lookup(c);
    }

    public int lookupWildcard(final int c) {
        return conns.contains(c) ? c : TableOperations.ANY80;
    }

    public boolean insertListener(final int l) {
        return listeners.add(l);
    }

    public boolean removeListener(final int l) {
        return listeners.remove(l);
    }

    public int lookupListener(final int l) {
        return listeners.contains(l) ? l : -1;
    }

    // ReaderOperations: the same answers through a ConnectionTable.Reader.

    public int readerLookup(final int c) {
        return lookup(c);
    }

    public int readerRead(final int c) {
        return lookup(c);
    }

    public int readerLookupFields(final int c) {
        return lookup(c);
    }

    public int readerReadFields(final int c) {
        return lookup(c);
    }

    public int readerLookupListenerFields(final int l) {
        return lookupListener(l);
    }

    public int rehash(final int from, final int to) {
        if (!conns.contains(from)) {
            return -1;
        }
        if (from == to) {
            return 1;
        }
        if (conns.contains(to)) {
            return 0;
        }
        conns.remove(from);
        conns.add(to);
        return 1;
    }

    // Lincheck compares the states of specification instances to prune its search.
    @Override
    public boolean equals(final Object o) {
        return o instanceof MapSpecification m && m.conns.equals(conns) && m.listeners.equals(listeners);
    }

    @Override
    public int hashCode() {
        return conns.hashCode() * 31 + listeners.hashCode();
    }
}
