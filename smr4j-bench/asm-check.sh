#!/usr/bin/env bash
# asm-check.sh: does Smr.Reader.enter compile to what the design says, in the loop we measure?
#
#   default and deferred mode: exactly one locked instruction (XCHG) per section, no MFENCE;
#   lazy mode (membarrier available): no locked instruction and no MFENCE at all.
#
# It prints C2's code for the JMH measurement loops of SectionBenchmark.reader (one section per
# invocation), SectionBenchmark.domain (through the ThreadLocal) and SectionBatchBenchmark.reader
# (sixteen sections in a counted loop, where C2 was seen to merge fullFence()s of neighbouring
# iterations), finds the innermost loop that contains a section, and counts in it:
#   exits   64-bit stores of zero (Reader.exit's release store of INVALID is a plain MOV on x86;
#           one per section, so it counts the sections in the loop body)
#   locked  lock-prefixed instructions and XCHG with a memory operand (implicitly locked)
#   mfence  MFENCE
#   calls   calls that are not runtime stubs (a call to Reader.enter would mean it did not inline)
# and prints a verdict per case, then an overall verdict (exit status 0 = all PASS).
#
# Needs: JDK 25 (JAVA_HOME, default /usr/lib/jvm/temurin-25-jdk-amd64), a built
# smr4j-bench/target/benchmarks.jar (mvn -pl smr4j-bench -am package -Djmh.skip=true), Debian's
# libhsdis0-fcml (apt-get install libhsdis0-fcml), gcc, python3.
#
# About hsdis: JDK 25 looks up only `decode_instructions_virtual` in hsdis-amd64.so; Debian's
# fcml build exports only the old `decode_instructions`, so linking it as hsdis-amd64.so gives
# hex dumps, silently. This script builds a ten-line forwarding shim (src/asm/hsdis-shim.c)
# and installs it as $JAVA_HOME/lib/hsdis-amd64.so (replacing a link to the Debian library, never
# a working hsdis). Output files stay in smr4j-bench/target/asm-check/ for reading.
#
# Usage: smr4j-bench/asm-check.sh            (about 40 s on 2 cores)
set -euo pipefail

JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
HERE="$(cd "$(dirname "$0")" && pwd)"
JAR="$HERE/target/benchmarks.jar"
OUT="$HERE/target/asm-check"
FCML=/usr/lib/x86_64-linux-gnu/libhsdis.so.0
HSDIS="$JAVA_HOME/lib/hsdis-amd64.so"
mkdir -p "$OUT"

[ -f "$JAR" ] || { echo "asm-check: $JAR missing; build: mvn -pl smr4j-bench -am package -Djmh.skip=true" >&2; exit 2; }
[ "$(uname -m)" = x86_64 ] || { echo "asm-check: x86_64 only (the expected instructions are x86's)" >&2; exit 2; }

# --- 1. a working hsdis -------------------------------------------------------------------
has_virtual() { [ -e "$1" ] && nm -D "$1" 2>/dev/null | grep -q ' T decode_instructions_virtual$'; }
if ! has_virtual "$HSDIS"; then
    [ -e "$FCML" ] || { echo "asm-check: $FCML missing: apt-get install libhsdis0-fcml" >&2; exit 2; }
    gcc -O2 -shared -fPIC -o "$OUT/hsdis-amd64.so" "$HERE/src/asm/hsdis-shim.c" -ldl
    if [ -e "$HSDIS" ] && [ ! -L "$HSDIS" ]; then
        echo "asm-check: $HSDIS exists, is not a link and has no decode_instructions_virtual; not touching it" >&2
        exit 2
    fi
    cp -f "$OUT/hsdis-amd64.so" "$HSDIS.tmp" && mv -f "$HSDIS.tmp" "$HSDIS"
    echo "asm-check: installed the hsdis shim as $HSDIS (forwards to $FCML)"
fi

# --- 2. print the measurement loops ---------------------------------------------------------
# case = benchmark class, method, mode, expected locked instructions per section
CASES=(
    "SectionBenchmark reader DEFAULT 1"
    "SectionBenchmark reader DEFERRED 1"
    "SectionBenchmark reader LAZY 0"
    "SectionBenchmark domain DEFAULT 1"
    "SectionBenchmark domain LAZY 0"
    "SectionBatchBenchmark reader DEFAULT 1"
    "SectionBatchBenchmark reader LAZY 0"
)
echo "asm-check: $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg), $("$JAVA" -version 2>&1 | sed -n 2p)"
for c in "${CASES[@]}"; do
    read -r cls method mode _ <<<"$c"
    stub="org.smr4j.bench.jmh_generated.${cls}_${method}_jmhTest::${method}_avgt_jmhStub"
    "$JAVA" -jar "$JAR" "$cls\.$method\$" -p mode="$mode" -bm avgt -f 1 -wi 4 -w 300ms -i 2 -r 300ms -foe true \
        -jvmArgsAppend "--enable-native-access=ALL-UNNAMED -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,$stub" \
        > "$OUT/$cls.$method.$mode.txt" 2>&1 || { echo "asm-check: run failed, see $OUT/$cls.$method.$mode.txt" >&2; exit 2; }
done

# --- 3. count and judge --------------------------------------------------------------------
python3 - "$OUT" "${CASES[@]}" <<'PY'
import re, sys
out, cases = sys.argv[1], sys.argv[2:]
INSN = re.compile(r'^\s+0x([0-9a-f]+):\s+([a-z][a-z0-9]*)(?:\s+([^;]*?))?\s*(;.*)?$')
RUNTIME = ('runtime_call', 'static_call', 'optimized virtual_call', 'virtual_call')
overall = True

def last_c2(text, stub_method):
    """Instructions of the last C2 (tier 4) nmethod of the stub, OSR or not."""
    blocks = re.split(r'(?m)^(?=Compiled method )', text)
    c2 = [b for b in blocks if b.startswith('Compiled method (c2)') and stub_method in b.splitlines()[0]]
    if not c2:
        return None
    insns = []
    for line in c2[-1].splitlines():
        m = INSN.match(line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2), (m.group(3) or '').strip(), m.group(4) or '', line.strip()))
    return insns

def is_locked(mn, ops):
    return mn == 'lock' or mn.startswith('lock') or (mn.startswith('xchg') and '(' in ops)

def is_zero_store64(mn, ops):
    # Reader.exit: SEQ.setRelease(this, 0) -> mov %r12,OFF(...) (r12 = 0 with zero-based compressed
    # oops) or movq $0x0,OFF(...)
    return (mn in ('mov', 'movq') and (ops.startswith('%r12,') or ops.startswith('$0x0,')) and '(' in ops
            and not ops.startswith('%r12d'))

for c in cases:
    cls, method, mode, expect = c.split()
    expect = int(expect)
    text = open(f'{out}/{cls}.{method}.{mode}.txt', errors='replace').read()
    name = f'{cls}.{method} {mode}'
    insns = last_c2(text, f'{cls}_{method}_jmhTest::{method}_avgt_jmhStub')
    if not insns:
        print(f'{name}: FAIL no C2 code found (hsdis not loaded?)'); overall = False; continue
    addrs = [a for a, *_ in insns]
    lo, hi = addrs[0], addrs[-1]
    loops = []
    for i, (a, mn, ops, cm, _) in enumerate(insns):
        if mn.startswith('j') and mn != 'jmpq' or mn == 'jmp':
            m = re.match(r'0x([0-9a-f]+)$', ops)
            if m:
                t = int(m.group(1), 16)
                if lo <= t < a:
                    j = addrs.index(t) if t in addrs else None
                    if j is not None:
                        loops.append((j, i))
    best = None
    for j, i in loops:
        body = insns[j:i + 1]
        exits = sum(1 for _, mn, ops, _, _ in body if is_zero_store64(mn, ops))
        if exits and (best is None or (i - j) < (best[1] - best[0])):
            best = (j, i, exits)
    if best is None:
        print(f'{name}: FAIL no loop with a section exit found'); overall = False; continue
    j, i, exits = best
    body = insns[j:i + 1]
    locked = [x for x in body if is_locked(x[1], x[2])]
    mfence = [x for x in body if x[1] == 'mfence']
    calls = [x for x in body if x[1].startswith('call') and not any(r in x[3] for r in ('runtime_call',))]
    all_locked = [x for x in insns if is_locked(x[1], x[2]) or x[1] == 'mfence']
    ok = len(mfence) == 0 and len(calls) == 0 and len(locked) == expect * exits
    if expect == 0:
        ok = ok and len(all_locked) == 0
    overall &= ok
    print(f'{name}: {"PASS" if ok else "FAIL"}  loop {hex(body[0][0])}..{hex(body[-1][0])}: '
          f'{len(body)} instructions, {exits} section exit(s), {len(locked)} locked, {len(mfence)} mfence, '
          f'{len(calls)} call(s); locked in whole nmethod: {len(all_locked)}; expected {expect} locked per section')
    # (A command-line -jvmArgsAppend replaces the @Fork one, so native access is repeated above;
    # without it lazy domains fall back to fenced readers and the benchmark's setup refuses.)
    # Excerpt: the publication and the exit (stores to the exit's field offset) and locked insns.
    offs = {re.search(r'(0x[0-9a-f]+)\(', ops).group(1) for _, mn, ops, _, _ in body if is_zero_store64(mn, ops)}
    for _, mn, ops, _, line in body:
        tgt = ops.split(',', 1)[1] if ',' in ops else ''  # AT&T: source first, then destination
        if is_locked(mn, ops) or mn == 'mfence' or any(tgt.startswith(o + '(') for o in offs) \
                or (mn.startswith('call')):
            print('    ' + re.sub(r'\s+', ' ', line))
print('asm-check verdict:', 'PASS' if overall else 'FAIL')
sys.exit(0 if overall else 1)
PY
