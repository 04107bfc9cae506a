#!/usr/bin/env bash
# peers.sh: smr4j beside the native peers (liburcu memb/mb/qsbr/bp, ConcurrencyKit ck_epoch,
# crossbeam-epoch) on the same workloads, in one run, interleaved, one table at the end.
#
# Usage: smr4j-bench/peers.sh [DURATION_MS] [REPS] [OUTDIR]    (defaults 1000 ms, 3 repetitions)
#
# The peers are programs written outside this project, in ../shared/peers/ (beside the
# checkout's parent, or PEERS_DIR); this script builds them into a scratch folder with their own
# build.sh (Debian's liburcu-dev, libck-dev, librust-crossbeam-epoch-dev and cargo; set
# PEERS_INSTALL=1 to let build.sh apt-get them) and runs them with their own run.sh. Without
# them it says so and runs smr4j alone. smr4j's side is org.smr4j.bench.peers.PeerWorkloads in
# target/benchmarks.jar (mvn -B -pl smr4j-bench -am package -DskipTests). Hold /tmp/jmh.lock:
# it is a measurement. Output: OUTDIR/raw.txt (every line), machine.txt, table.md.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
DUR="${1:-1000}"; REPS="${2:-3}"
OUT="${3:-$HERE/target/peers/$(date -u +%Y%m%dT%H%MZ)}"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAR="$HERE/target/benchmarks.jar"
PEERS_DIR="${PEERS_DIR:-$HERE/../../shared/peers}"
FLAVORS="${FLAVORS:-smr-default,smr-deferred32,smr-lazy,pserialize}"
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "peers.sh: $JAR is missing; build it: mvn -B -pl smr4j-bench -am package -DskipTests" >&2; exit 2; }

{
    echo "date: $(date -u +%FT%TZ)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs, $(lscpu | sed -n 's/^Hypervisor vendor: *//p') guest"
    echo "kernel: $(uname -srm)"
    echo "jdk: $("$JAVA_HOME/bin/java" -version 2>&1 | sed -n 2p)"
    echo "git: $(git -C "$HERE" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "duration_ms: $DUR, repetitions: $REPS"
} > "$OUT/machine.txt"
cat "$OUT/machine.txt"

BIN=""
if [ -x "$PEERS_DIR/build.sh" ]; then
    BIN="$OUT/peers-bin"
    echo "peers.sh: building the native peers from $PEERS_DIR into $BIN"
    if [ "${PEERS_INSTALL:-0}" = 1 ]; then
        "$PEERS_DIR/build.sh" --install "$BIN" > "$OUT/peers-build.log" 2>&1 || BIN=""
    else
        "$PEERS_DIR/build.sh" "$BIN" > "$OUT/peers-build.log" 2>&1 || BIN=""
    fi
    [ -n "$BIN" ] || echo "peers.sh: the peers did not build (see $OUT/peers-build.log; PEERS_INSTALL=1 installs their packages); smr4j runs alone"
else
    echo "peers.sh: no native peers at $PEERS_DIR (set PEERS_DIR); smr4j runs alone"
fi

for r in $(seq 1 "$REPS"); do
    {
        echo "# rep $r $(date -Is) load $(cut -d' ' -f1-3 /proc/loadavg)"
        "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$JAR" \
            org.smr4j.bench.peers.PeerWorkloads "$DUR" AB "$FLAVORS" || echo "# smr4j rep $r exit=$?"
        if [ -n "$BIN" ]; then
            "$PEERS_DIR/run.sh" "$BIN" "$DUR" 1 | sed "s/^# rep 1 /# rep $r (peers) /"
        fi
    } 2>&1 | tee -a "$OUT/raw.txt"
done
python3 "$HERE/peers.py" "$OUT/raw.txt" | tee "$OUT/table.md"
