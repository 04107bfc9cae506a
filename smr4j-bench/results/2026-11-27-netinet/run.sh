#!/bin/sh
# The runs of this folder, in order, each under the machine's JMH lock; see README.md.
# Run from the repository root after: mvn -o -q -pl smr4j-bench -am package -DskipTests -Djmh.skip=true
set -eu
OUT=smr4j-bench/results/2026-11-27-netinet
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
JAR=smr4j-bench/target/benchmarks.jar
load() { echo "$1: $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%FT%TZ)" >> "$OUT/load.txt"; }

{
  echo "date: $(date -u +%FT%TZ)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs (systemd-detect-virt: $(systemd-detect-virt 2>/dev/null || echo unknown))"
  echo "kernel: $(uname -srm)"
  echo "jdk: $("$JAVA" -version 2>&1 | sed -n 2p)"
  echo "git: $(git rev-parse --short HEAD)"
  echo "memory: $(free -m | awk '/Mem:/ {print $2 " MiB"}')"
} > "$OUT/machine.txt"
: > "$OUT/load.txt"

load "before churn"
flock /tmp/jmh.lock "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" org.smr4j.bench.netinet.ChurnCommand \
    --duration 10s --json "$OUT/churn.json" > "$OUT/churn.txt" 2> "$OUT/churn.progress.txt" || echo "churn: exit $?"
load "before churn-read"
flock /tmp/jmh.lock "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" org.smr4j.bench.netinet.ChurnCommand \
    --duration 10s --read-percent 100 --json "$OUT/churn-read.json" > "$OUT/churn-read.txt" \
    2> "$OUT/churn-read.progress.txt" || echo "churn-read: exit $?"
load "before flood"
flock /tmp/jmh.lock "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" org.smr4j.bench.netinet.ChurnCommand \
    --duration 10s --flood --json "$OUT/flood.json" > "$OUT/flood.txt" 2> "$OUT/flood.progress.txt" || echo "flood: exit $?"
load "before jmh"
flock /tmp/jmh.lock "$JAVA" -jar "$JAR" 'netinet.LookupBenchmark' -f 1 -wi 3 -i 5 -w 1s -r 1s \
    -rf json -rff "$OUT/lookup.json" > "$OUT/lookup.txt" 2>&1 || echo "jmh: exit $?"
load "after"

# Second pass, run after the first because the first JMH run overlapped neighbours' load
# (load 9.7 when it started) and its single-thread errors were larger than the scores: the
# single-thread methods only, with -prof gc for bytes per operation.
load "before jmh-alone"
flock /tmp/jmh.lock "$JAVA" -jar "$JAR" 'netinet.LookupBenchmark.(lookup|chmGet)' -f 1 -wi 3 -i 5 -w 1s -r 1s \
    -prof gc -rf json -rff "$OUT/lookup-alone.json" > "$OUT/lookup-alone.txt" 2>&1 || echo "jmh-alone: exit $?"
load "after jmh-alone"

# Profiles of the single-thread read path, 10k connections (perfasm needs hsdis, see ../../README.md):
for s in SMR_LAZY CONCURRENT_HASH_MAP; do
  flock /tmp/jmh.lock "$JAVA" -jar "$JAR" 'netinet.LookupBenchmark.lookup' -p strategy=$s -p operation=read \
      -p connections=10000 -f 1 -wi 3 -w 1s -i 3 -r 1s -prof 'perfasm:events=cpu-clock' \
      > "$OUT/perfasm-lookup-read-$s.txt" 2>&1
done

# Third pass: the churn group again (its first pass, above, ran at load 9.7 with errors larger
# than the scores).
load "before jmh-churn"
flock /tmp/jmh.lock "$JAVA" -jar "$JAR" 'netinet.LookupBenchmark.churn' -f 1 -wi 3 -i 5 -w 1s -r 1s \
    -rf json -rff "$OUT/lookup-churn.json" > "$OUT/lookup-churn.txt" 2>&1 || echo "jmh-churn: exit $?"
load "after jmh-churn"
