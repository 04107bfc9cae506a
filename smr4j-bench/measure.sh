#!/usr/bin/env bash
# measure.sh: the full measurement behind docs/PERFORMANCE.md, one benchmark class after the
# other, never two JVMs at once. Records the machine and the load average before and after each
# class next to JMH's JSON and text output, then prints the (case - baseline) table.
#
# Usage: smr4j-bench/measure.sh [OUTDIR]    (about 25 minutes on 2 cores)
# Needs a built smr4j-bench/target/benchmarks.jar and JDK 25 (JAVA_HOME).
set -euo pipefail

JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
HERE="$(cd "$(dirname "$0")" && pwd)"
JAR="$HERE/target/benchmarks.jar"
OUT="${1:-$HERE/target/results/$(date -u +%Y%m%dT%H%MZ)}"
mkdir -p "$OUT"

{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest"
    echo "kernel: $(uname -srm)"
    echo "jdk: $("$JAVA" -version 2>&1 | sed -n 2p)"
    echo "git: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

# name, then JMH arguments. The iteration counts are the classes' defaults unless given here.
RUNS=(
    "section FenceCostBenchmark|SectionBenchmark"
    "batch SectionBatchBenchmark"
    "advance AdvanceBenchmark"
    "poll PollBenchmark"
)
for r in "${RUNS[@]}"; do
    name="${r%% *}"; args="${r#* }"
    echo "load before $name: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
    # shellcheck disable=SC2086
    "$JAVA" -jar "$JAR" "$args" -foe true -rf json -rff "$OUT/$name.json" > "$OUT/$name.txt" 2>&1
    echo "load after  $name: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
done
python3 "$HERE/summarize.py" "$OUT"/*.json | tee "$OUT/summary.md"
