#!/bin/sh
# Run 2 of the connection-table measurements (after the keyed-hash cache, the layout change,
# the pool fast path and the fixes of the test helper's reproductions). From the repository
# root, after: mvn -o -q -pl smr4j-bench -am package -DskipTests -Djmh.skip=true -Djcstress.skip=true
set -eu
OUT=smr4j-bench/results/2026-11-27-netinet-run2
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
JAR=smr4j-bench/target/benchmarks.jar
load() { echo "$1: $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%FT%TZ)" >> "$OUT/load.txt"; }
{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
  echo "kernel: $(uname -srm)"
  echo "jdk: $("$JAVA" -version 2>&1 | sed -n 2p)"
  echo "git: $(git rev-parse --short HEAD)"
} > "$OUT/machine.txt"
: > "$OUT/load.txt"
load "before jmh 10k"
flock /tmp/jmh.lock "$JAVA" -jar "$JAR" 'netinet.LookupBenchmark.(lookup|chmGet|chmGetConnection)$' -p connections=10000 \
    -f 2 -wi 3 -w 1s -i 5 -r 1s -prof gc -rf json -rff "$OUT/lookup-10k.json" > "$OUT/lookup-10k.txt" 2>&1
load "before jmh 100k"
flock /tmp/jmh.lock "$JAVA" -jar "$JAR" 'netinet.LookupBenchmark.(lookup|chmGet|chmGetConnection)$' -p connections=100000 \
    -f 1 -wi 3 -w 1s -i 5 -r 1s -rf json -rff "$OUT/lookup-100k.json" > "$OUT/lookup-100k.txt" 2>&1
load "before jmh churn"
flock /tmp/jmh.lock "$JAVA" -jar "$JAR" 'netinet.LookupBenchmark.churn' -p connections=10000 \
    -f 1 -wi 3 -w 1s -i 5 -r 1s -rf json -rff "$OUT/lookup-churn.json" > "$OUT/lookup-churn.txt" 2>&1
load "before churn"
flock /tmp/jmh.lock "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" org.smr4j.bench.netinet.ChurnCommand \
    --duration 10s --json "$OUT/churn.json" > "$OUT/churn.txt" 2> "$OUT/churn.progress.txt"
load "before churn-read"
flock /tmp/jmh.lock "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" org.smr4j.bench.netinet.ChurnCommand \
    --duration 10s --read-percent 100 --json "$OUT/churn-read.json" > "$OUT/churn-read.txt" 2> "$OUT/churn-read.progress.txt"
load "before flood"
flock /tmp/jmh.lock "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" org.smr4j.bench.netinet.ChurnCommand \
    --duration 10s --flood --json "$OUT/flood.json" > "$OUT/flood.txt" 2> "$OUT/flood.progress.txt"
load "after"
