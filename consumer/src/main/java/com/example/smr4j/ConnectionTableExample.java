package com.example.smr4j;

import static org.smr4j.netinet.ConnectionKey.TCP;

import org.smr4j.netinet.ConnectionKey;
import org.smr4j.netinet.ConnectionTable;
import org.smr4j.netinet.ConnectionTable.LockMode;
import org.smr4j.netinet.ConnectionTable.Strategy;
import org.smr4j.netinet.ControlBlock;

/** The README's smr4j-netinet example: insert, look up without a table lock, remove. */
public final class ConnectionTableExample {
    private ConnectionTableExample() {
    }

    public static void main(final String[] args) {
        final int local = 0x0a000001;           // 10.0.0.1
        final int remote = 0xc0a80007;          // 192.168.0.7
        final Object socket = "socket for 192.168.0.7:50000";
        // README:begin netinet
        ConnectionTable table = ConnectionTable.builder(Strategy.SMR_LAZY)
                .limits(1_000_000, 4096)        // connections; removed blocks awaiting their grace period
                .build();
        ConnectionKey key = ConnectionKey.ipv4(TCP, local, 443, remote, 50000);
        ControlBlock b = table.insert(key);     // returned write-locked
        b.attach(socket);
        b.unlock();

        ControlBlock c = table.lookup(key, LockMode.READ);   // no table lock: section, chain, try-lock
        if (c != null) {
            try { System.out.println("deliver to " + c.attachment()); } finally { c.unlock(); }
        }
        String peer = table.read(key, blk -> (String) blk.attachment());  // lock-free, like CHM.get

        table.remove(key);                      // the block returns to the pool, reused after grace
        // README:end netinet
        if (!socket.equals(peer) || table.lookup(key, LockMode.READ) != null || table.size() != 0) {
            throw new AssertionError("table: read " + peer + ", size " + table.size());
        }
        System.out.println("netinet: " + table.stats());
        table.close();
    }
}
