"""Benchmark: the default parquet store at 10k / 100k / 1M records committed one at a time.

One store grows in stages; each stage's records are committed one at a time by a fresh writer
process with the default `Database.create("parquet", path)` (a tuning run), then fresh reader
processes measure:

- commit_per_s: the stage's commits per second (one record per `commit_tuning_record`);
- open_s: `Database.create` plus the first `query_tuning_record` (import time excluded);
- query_ms / top10_ms: median of warm `query_tuning_record` and `get_top_k(wl, 10)`;
- peak_rss_mb: the reader's peak resident memory;
- disk_mb and compacted_mb: the store's bytes, and a compacted copy's.

Records are realistic: real tiled-matmul traces (~20 instructions, drawn decisions) over 8
workloads, with run times drawn at random. A phase that runs past --timeout is stopped and
reported as such (the old store cannot reach 1M records in minutes).

Prints one JSON line per stage. Usage:
    python bench/database_scale.py [--sizes 10000 100000 1000000] [--dir /tmp/dbscale] [--timeout 900]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

TARGET = "llvm -num-cores=2"
SIZES = (64, 72, 80, 96, 112, 128, 144, 160)


def workload(n):
    from raytune_ms import te

    A = te.placeholder((n, n), name="A")
    B = te.placeholder((n, n), name="B")
    k = te.reduce_axis(n, "k")
    C = te.compute((n, n), lambda i, j: te.sum(A[i, k] * B[k, j], axis=[k]), name="C")
    return te.create_prim_func([A, B, C])


def _traces(func, count, seed):
    """`count` JSON texts of real tiled traces of `func` with drawn tile decisions."""
    from raytune_ms.schedule import Schedule

    out = []
    for s in range(count):
        sch = Schedule(func, seed=seed + s)
        c = sch.get_block("C")
        i, j, k = sch.get_loops(c)
        i0, i1, i2, i3 = sch.split(i, sch.sample_perfect_tile(i, 4, 64))
        j0, j1, j2, j3 = sch.split(j, sch.sample_perfect_tile(j, 4, 64))
        k0, k1 = sch.split(k, sch.sample_perfect_tile(k, 2, 64))
        sch.reorder(i0, j0, i1, j1, k0, i2, j2, k1, i3, j3)
        sch.parallel(sch.fuse(i0, j0))
        sch.vectorize(j3)
        v = sch.sample_categorical([0, 16, 64, 512], [0.25, 0.25, 0.25, 0.25])
        sch.annotate(c, "meta_schedule.unroll_explicit", v)
        out.append(json.dumps(sch.trace.as_json(), separators=(",", ":")))
    return out


def write(path, start, stop):
    """Commit records start..stop-1 one at a time; print the commit rate."""
    import random

    from raytune_ms.database import Database, TuningRecord

    funcs = [workload(n) for n in SIZES]
    traces = [_traces(f, 16, 100 * i) for i, f in enumerate(funcs)]
    db = Database.create("parquet", path)
    wls = [db.commit_workload(f) for f in funcs]
    rng = random.Random(start)
    t0 = time.perf_counter()
    for r in range(start, stop):
        w = r % len(wls)
        secs = [rng.uniform(1e-4, 1e-2) for _ in range(3)]
        db.commit_tuning_record(TuningRecord(traces[w][r % 16], wls[w], secs, TARGET,
                                             task_name=f"task{w}", node="bench"))
    elapsed = time.perf_counter() - t0
    db.close()
    print(json.dumps({"commits": stop - start, "commit_s": elapsed}))


def read(path):
    """Open the store fresh and time the queries; print the figures."""
    import resource
    import statistics

    from raytune_ms.database import Database

    funcs = [workload(n) for n in SIZES]
    t0 = time.perf_counter()
    db = Database.create("parquet", path)
    best = db.query_tuning_record(funcs[0], TARGET)
    open_s = time.perf_counter() - t0
    assert best is not None and best.trace is not None
    q, top = [], []
    for rep in range(20):
        f = funcs[rep % len(funcs)]
        t = time.perf_counter()
        rec = db.query_tuning_record(f, TARGET)
        q.append(time.perf_counter() - t)
        t = time.perf_counter()
        recs = db.get_top_k(rec.workload, 10, target=TARGET)
        top.append(time.perf_counter() - t)
        assert len(recs) == 10 and recs[0].mean_run_secs == rec.mean_run_secs
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"open_s": open_s, "query_ms": statistics.median(q) * 1e3,
                      "top10_ms": statistics.median(top) * 1e3, "peak_rss_mb": rss_mb, "records": len(db)}))


def compact(path):
    from raytune_ms.database import Database

    Database.create("parquet", path).compact()
    print(json.dumps({}))


def _bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def _child(timeout, *args):
    """Run this script's `args` in a fresh process; its JSON line, or None past `timeout`."""
    try:
        out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                             timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as e:
        sys.stderr.write(e.stderr)
        raise
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--dir", default="/tmp/raytune_ms_dbscale")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per phase")
    ap.add_argument("--role", choices=["write", "read", "compact"], help=argparse.SUPPRESS)
    ap.add_argument("--range", type=int, nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.role == "write":
        return write(args.dir, *args.range)
    if args.role == "read":
        return read(args.dir)
    if args.role == "compact":
        return compact(args.dir)

    store = os.path.join(args.dir, "store")
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    done = 0
    for size in sorted(args.sizes):
        row = {"bench": "database_scale", "records": size}
        w = _child(args.timeout, "--role", "write", "--dir", store, "--range", str(done), str(size))
        if w is None:
            row["error"] = f"committing {size - done} records took over {args.timeout:.0f} s"
            print(json.dumps(row), flush=True)
            break
        done = size
        row["commit_per_s"] = round(w["commits"] / w["commit_s"])
        r = _child(args.timeout, "--role", "read", "--dir", store)
        if r is None:
            row["error"] = f"opening the store took over {args.timeout:.0f} s"
            print(json.dumps(row), flush=True)
            break
        row.update({k: round(v, 4) for k, v in r.items()})
        row["disk_mb"] = round(_bytes(store) / 1e6, 2)
        copy = os.path.join(args.dir, "compacted")
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(store, copy)
        if _child(args.timeout, "--role", "compact", "--dir", copy) is not None:
            row["compacted_mb"] = round(_bytes(copy) / 1e6, 2)
        shutil.rmtree(copy, ignore_errors=True)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
