#!/usr/bin/env python3
"""Turns the raw lines of peers.sh (smr4j's PeerWorkloads and the native peers' programs, same
workloads, same output format) into two markdown tables, every figure the median over the
repetitions and every ratio against the same program's own baseline of the same run.

A. Read-side cost: ns per iteration of `enter; v += p->val; exit` minus the program's own
   no-section loop, on 1 and 2 threads (QSBR: a quiescent state every 1 and every 256
   iterations).
B/C. Lookups in a 1,024-slot protected array, alone and beside one writer that replaces slots
   flat out (call_rcu / ck_epoch_call / defer_destroy / smr4j retire queue or pool), with the
   objects pending (allocated - freed - live) sampled every millisecond; the paced (100k
   updates/s) and synchronous (a grace period per update) writers.

Usage: peers.py RAW.txt
"""
import re
import statistics
import sys
from collections import defaultdict

BASELINES = {'baseline_no_rcu', 'baseline_no_epoch', 'baseline_no_pin', 'baseline_no_section'}
ASYNC = {'call_rcu', 'ck_epoch_call+poll/64', 'defer_destroy', 'retire', 'pool'}
PACED = {'call_rcu_paced100k', 'defer_destroy_paced100k', 'retire_paced100k'}
SYNC = {'synchronize_rcu', 'ck_epoch_synchronize', 'synchronize'}
NUM = re.compile(r'^-?[0-9.]+$')


def fields(line):
    out = {}
    for m in re.finditer(r'([A-Za-z_]+(?:\([^)]*\))?(?: [a-z/]+)?)=(\S+)', line):
        k, v = m.group(1), m.group(2)
        k = k.split('(')[0].split(' ')[-1]
        out[k] = float(v) if NUM.match(v) else v
    return out


def program(f):
    lib = f.get('lib', 'urcu')
    flavor = f.get('flavor')
    if lib == 'urcu':
        return 'liburcu ' + flavor
    if lib == 'smr4j':
        return 'smr4j ' + flavor
    return lib


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def main(path):
    a = defaultdict(list)   # (program, test, threads) -> [ns]
    b = defaultdict(lambda: defaultdict(list))  # (program, readers, writer) -> field -> [v]
    order = []
    for line in open(path):
        if not (line.startswith('A ') or line.startswith('B ')):
            continue
        f = fields(line)
        p = program(f)
        if p not in order:
            order.append(p)
        if line.startswith('A '):
            a[(p, f['test'], int(f['threads']))].append(f['ns_per_op'])
        else:
            k = (p, int(f['readers']), f['writer'])
            for name in ('lookups_Mops', 'lookup', 'updates_Mops', 'sync_latency_us', 'pending_mean', 'pending_max'):
                if name in f:
                    b[k][name].append(f[name])

    print('## A. Read-side cost: ns per iteration over the same program\'s no-section loop (median of repetitions)\n')
    print('| program | section | 1 thread: baseline ns | section ns | **+ns** | ratio | 2 threads: baseline ns | section ns | **+ns** | ratio |')
    print('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|')
    for p in order:
        tests = sorted({t for (q, t, _) in a if q == p and t not in BASELINES})
        base = {n: med(next((a[k] for k in a if k[0] == p and k[1] in BASELINES and k[2] == n), [])) for n in (1, 2)}
        for t in tests:
            cells = []
            for n in (1, 2):
                s = med(a.get((p, t, n), []))
                cells += ['%.2f' % base[n], '%.2f' % s, '**%+.2f**' % (s - base[n]), '%.2f' % (s / base[n]) if base[n] else '-']
            print('| %s | %s | %s |' % (p, t, ' | '.join(cells)))

    print('\n## B/C. 1,024-slot array: lookups alone and beside one writer; objects pending (median of repetitions)\n')
    print('| program | lookups Mops, 1 reader alone | 2 readers alone | writer | lookups Mops beside the writer | ratio to alone | writer updates Mops | pending mean | pending max | paced 100k/s: pending mean / max | grace period per update: µs |')
    print('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|')
    for p in order:
        r1 = med(b.get((p, 1, 'none'), {}).get('lookups_Mops', []))
        r2 = med(b.get((p, 2, 'none'), {}).get('lookups_Mops', []))
        paced = next((b[k] for k in b if k[0] == p and k[1] == 1 and k[2] in PACED), None)
        sync = next((b[k] for k in b if k[0] == p and k[1] == 1 and k[2] in SYNC), None)
        paced_s = '%.0f / %.0f' % (med(paced['pending_mean']), med(paced['pending_max'])) if paced else '-'
        sync_s = '%.2f' % med(sync['sync_latency_us']) if sync and sync.get('sync_latency_us') else '-'
        writers = sorted({k[2] for k in b if k[0] == p and k[1] == 1 and k[2] in ASYNC})
        for w in writers:
            d = b[(p, 1, w)]
            lk = med(d['lookups_Mops'])
            print('| %s | %.1f | %.1f | %s | %.1f | %.2f | %.3f | %.0f | %.0f | %s | %s |' % (
                p, r1, r2, w, lk, lk / r1 if r1 else float('nan'), med(d['updates_Mops']),
                med(d['pending_mean']), med(d['pending_max']), paced_s, sync_s))
    print('\nEach program is compared with itself: its sections with its own no-section loop, its lookups beside a writer with its own lookups alone.')


if __name__ == '__main__':
    main(sys.argv[1])
