#!/bin/bash
# A/B of PoolBenchmark: before (fbdeeec) and after, each under the JMH lock, loads recorded.
R=/work/wt-poolfast/smr4j-bench/results/2026-11-27-pool-fastpath
J=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
run() { # name jar
  flock /tmp/jmh.lock bash -c "echo \"\$(date -u +%FT%TZ) $1 start, load \$(cut -d' ' -f1-3 /proc/loadavg)\" >> $R/ab-load.txt; \
    $J -cp /tmp/poolfast-ab/$2 org.smr4j.bench.pool.PoolTable -f 2 -wi 5 -w 1s -i 5 -r 1s -prof gc -foe true \
       -rf json -rff $R/$1.json > $R/$1.txt 2>&1; \
    echo \"\$(date -u +%FT%TZ) $1 end rc=\$?, load \$(cut -d' ' -f1-3 /proc/loadavg)\" >> $R/ab-load.txt"
}
for pair in "$@"; do run "$pair-before" before-fbdeeec.jar; run "$pair-after" "$AFTER"; done
