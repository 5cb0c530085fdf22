"""Long fuzz run: ``python -m tests.fuzz --programs 30000 --seed 0`` (from the repository root).

Runs programs with seeds ``seed .. seed+programs-1`` (program k's first op cycles through the
registry, the rest are random), prints progress, then a summary by failure kind and by op, and
writes one shrunk reproducer per failure class to ``--out`` (default: a file in the temp dir).
A failure class is (failure kind, ops of the shrunk program); its count is how many programs
failed that way before shrinking (only the first few of each pre-shrink kind are shrunk).
Rerun one program with ``--seed S --programs 1 -v``.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import tempfile
import time

from .ops import REGISTRY
from .program import check, fmt_failures, generate, reproducer, shrink


def forced_op(seed: int) -> str:
    """The op program ``seed`` tries first: cycling through the registry guarantees coverage."""
    return REGISTRY[seed % len(REGISTRY)].name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    ap.add_argument("--programs", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=0, help="first program seed")
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "autograd_core-fuzz-failures.txt"),
                    help="file for the reproducers (default: in the temp dir)")
    ap.add_argument("--time-limit", type=float, default=0.0, help="stop after this many seconds (0: no limit)")
    ap.add_argument("--shrink-per-kind", type=int, default=3, help="failures shrunk per (kind, forced op)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failure (and its reproducer)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    status: collections.Counter = collections.Counter()
    by_op: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    by_kind: collections.Counter = collections.Counter()
    known: collections.Counter = collections.Counter()
    classes: dict[tuple, list] = {}  # (kind, shrunk ops) -> [count, reproducer, seeds]
    shrunk_per: collections.Counter = collections.Counter()
    done = 0
    for seed in range(args.seed, args.seed + args.programs):
        if args.time_limit and time.perf_counter() - t0 > args.time_limit:
            break
        prog = generate(seed, force=forced_op(seed))
        res = check(prog)
        done += 1
        status[res.status] += 1
        for op in set(prog.ops()):
            by_op[op]["programs"] += 1
            by_op[op][res.status] += 1
        for f in res.failures:
            if f.known is not None:
                known[f.known] += 1
        if res.status == "fail":
            kinds = sorted({f.kind for f in res.failures if f.known is None})
            for k in kinds:
                by_kind[k] += 1
            pre = (kinds[0], forced_op(seed))
            if shrunk_per[pre] < args.shrink_per_kind:
                shrunk_per[pre] += 1
                small = shrink(res)
                key = (sorted({f.kind for f in small.failures if f.known is None})[0], tuple(small.prog.ops()))
                if key not in classes:
                    classes[key] = [0, reproducer(small), []]
                classes[key][0] += 1
                classes[key][2].append(seed)
            if args.verbose:
                print(f"seed {seed} FAIL {prog.ops()}: {fmt_failures(res)[:400]}")
        if done % 500 == 0:
            el = time.perf_counter() - t0
            print(f"[{done}/{args.programs}] {el:.0f}s  {dict(status)}  classes={len(classes)}", flush=True)
    el = time.perf_counter() - t0
    print(f"\n{done} programs in {el:.0f}s ({1000 * el / max(done, 1):.1f} ms each): {dict(status)}")
    print("\nfailures by kind (programs):")
    for k, n in by_kind.most_common():
        print(f"  {n:6d}  {k}")
    print("\nknown differences applied:")
    for k, n in known.most_common():
        print(f"  {n:6d}  {k}")
    print("\nby op (programs containing it: total / fail / known / noisy):")
    for op in sorted(by_op, key=lambda o: -by_op[o]["fail"]):
        c = by_op[op]
        print(f"  {op:24s} {c['programs']:6d} {c['fail']:6d} {c['known']:6d} {c['noisy']:6d}")
    never = [o.name for o in REGISTRY if o.name not in by_op]
    if never:
        print(f"\nops never drawn: {never}")
    print(f"\n{len(classes)} failure classes (shrunk): kind, ops, count, seeds")
    for (kind, ops), (n, _, seeds) in sorted(classes.items(), key=lambda kv: -kv[1][0]):
        print(f"  {kind:28s} {list(ops)!s:60s} {n:4d}  {seeds[:5]}")
    with open(args.out, "w") as fh:
        for (kind, ops), (n, src, seeds) in sorted(classes.items(), key=lambda kv: -kv[1][0]):
            fh.write(f"# ===== {kind} {list(ops)} x{n} seeds {seeds[:10]}\n{src}\n\n")
    print(f"\nreproducers written to {args.out}")
    return 1 if status["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
