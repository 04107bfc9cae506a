package com.example.smr4j;

/** Runs the README's three examples in turn; a failed check ends the JVM with an error. */
public final class Main {
    private Main() {
    }

    public static void main(final String[] args) {
        CoreExample.main(args);
        ConnectionTableExample.main(args);
        OffHeapExample.main(args);
        System.out.println("all README examples ran");
    }
}
