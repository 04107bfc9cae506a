#!/usr/bin/env python3
"""Turns JMH JSON results (-rf json) of smr4j-bench into a markdown table of deltas.

Each case is compared with the baseline method of the same class and the same parameters,
measured in the same run: `baseline` for SectionBenchmark, SectionBatchBenchmark and
AdvanceBenchmark, `advance` for PollBenchmark. Columns: score and JMH's 99.9% error
(ns/op), delta = case - baseline with the errors added in quadrature (an approximation: the
two are independent samples), ratio = case / baseline. For PollBenchmark the share of polls
that returned true (from the @AuxCounters) is shown too.

On a loaded shared machine the mean is inflated by preemption: a descheduled benchmark thread
still counts wall-clock time. Noise of that kind only adds time, so a second table compares the
fastest iteration of each case with the fastest iteration of its baseline (min over all forks
and iterations), and the medians: the least disturbed estimate, to be quoted with the load.

Usage: summarize.py RESULT.json...
"""
import json
import math
import sys

BASELINE = {'PollBenchmark': 'advance'}


def key(params):
    return tuple(sorted((params or {}).items()))


def iterations(r):
    return sorted(x for fork in r['primaryMetric'].get('rawData', []) for x in fork)


def median(xs):
    n = len(xs)
    return (xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2) if n else float('nan')


def main(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            rows.extend(json.load(f))
    by = {}
    for r in rows:
        cls, method = r['benchmark'].rsplit('.', 2)[-2:]
        by[(cls, method, key(r.get('params')))] = r
    print('| benchmark | params | score ns/op | baseline ns/op | delta ns | ratio | polls reached |')
    print('|---|---|---:|---:|---:|---:|---:|')
    for (cls, method, params), r in sorted(by.items()):
        base_name = BASELINE.get(cls, 'baseline')
        if method == base_name:
            continue
        b = by.get((cls, base_name, params))
        pm = r['primaryMetric']
        s, e = pm['score'], pm['scoreError']
        e = 0.0 if math.isnan(e) else e
        ptxt = ', '.join(f'{k}={v}' for k, v in params)
        reached = ''
        sec = r.get('secondaryMetrics') or {}
        if 'reached' in sec and 'notReached' in sec:
            ok, no = sec['reached']['score'], sec['notReached']['score']
            reached = f'{100.0 * ok / (ok + no):.1f}%' if ok + no else ''
        if b is None:
            print(f'| {cls}.{method} | {ptxt} | {s:.2f} ± {e:.2f} | | | | {reached} |')
            continue
        bs, be = b['primaryMetric']['score'], b['primaryMetric']['scoreError']
        be = 0.0 if math.isnan(be) else be
        d, de = s - bs, math.sqrt(e * e + be * be)
        print(f'| {cls}.{method} | {ptxt} | {s:.2f} ± {e:.2f} | {bs:.2f} ± {be:.2f} '
              f'| {d:+.2f} ± {de:.2f} | {s / bs:.2f} | {reached} |')
    print()
    print('| benchmark | params | min ns/op | baseline min | delta of min | median | baseline median | delta of median |')
    print('|---|---|---:|---:|---:|---:|---:|---:|')
    for (cls, method, params), r in sorted(by.items()):
        base_name = BASELINE.get(cls, 'baseline')
        b = by.get((cls, base_name, params))
        if method == base_name or b is None:
            continue
        xs, bx = iterations(r), iterations(b)
        if not xs or not bx:
            continue
        ptxt = ', '.join(f'{k}={v}' for k, v in params)
        print(f'| {cls}.{method} | {ptxt} | {xs[0]:.2f} | {bx[0]:.2f} | {xs[0] - bx[0]:+.2f} '
              f'| {median(xs):.2f} | {median(bx):.2f} | {median(xs) - median(bx):+.2f} |')


if __name__ == '__main__':
    main(sys.argv[1:])
