"""`raytune-ms workloads`: list the suite, or build each workload unscheduled, run it on random
inputs, compare with numpy and time it."""

from __future__ import annotations

import json
import statistics
import sys

from .suite import SIZES, SUITE, get, names


def register(subparsers) -> None:
    p = subparsers.add_parser("workloads", help="list or check the standard op suite", description=__doc__)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--list", action="store_true", help="print the workload names and shapes")
    mode.add_argument("--check", action="store_true", help="build, run and compare with numpy")
    p.add_argument("--size", choices=SIZES, default="standard",
                   help="shape set, as `raytune-ms tune --size` (default: standard)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--target", default="llvm", help='target to build for (default: "llvm")')
    p.add_argument("--number", type=int, default=1, help="runs per timed repeat (default 1)")
    p.add_argument("--repeat", type=int, default=3, help="timed repeats; ms is their median (default 3)")
    p.add_argument("names", nargs="*", metavar="NAME", help="workloads to check (default: all)")
    p.set_defaults(func=run)


def check(name: str, size: str, target="llvm", number: int = 1, repeat: int = 3) -> dict:
    """Build `name` unscheduled, run it once against numpy, then time it."""
    from .. import build

    wl = get(name, size)
    row = {"workload": name, "size": size, "correct": False, "max_abs_err": None, "ms": None}
    try:
        mod = build(wl.func, target=target)
        arrays = wl.make_inputs(seed=0)
        mod(*arrays)
        row["correct"], row["max_abs_err"] = wl.compare(arrays)
        secs = mod.time(*arrays, number=number, repeat=repeat)
        row["ms"] = statistics.median(secs) * 1e3
        row["gflops"] = wl.flops / (row["ms"] * 1e6) if row["ms"] > 0 else None
    except Exception as e:  # report the failure of one workload and go on with the others
        row["error"] = f"{type(e).__name__}: {e}"
    return row


def _table_line(row: dict) -> str:
    err = "-" if row["max_abs_err"] is None else f"{row['max_abs_err']:.2e}"
    ms = "-" if row["ms"] is None else f"{row['ms']:.3f}"
    gf = "-" if row.get("gflops") is None else f"{row['gflops']:.2f}"
    line = f"{row['workload']:<9} {row['size']:<9} {str(row['correct']):<8} {err:>10} {ms:>12} {gf:>9}"
    return line + (f"  {row['error'].splitlines()[0]}" if "error" in row else "")


def _flop_text(flops: float) -> str:
    for scale, unit in ((1e9, "GFLOP"), (1e6, "MFLOP"), (1e3, "kFLOP")):
        if flops >= scale:
            return f"{flops / scale:7.3f} {unit}"
    return f"{flops:7.0f} FLOP "


def shape_text(name: str, size: str) -> str:
    """The workload's description at standard size; at another, its op and shape parameters."""
    entry = SUITE[name]
    if size == "standard":
        return entry.description
    op = entry.description.split("(")[0].strip()
    return f"{op}: " + " ".join(f"{k}={v}" for k, v in entry.small.items())


def run(args) -> int:
    if args.list:
        for name in names():
            entry = SUITE[name]
            cfg = entry.standard if args.size == "standard" else entry.small
            print(f"{name:<9} {_flop_text(entry.flops(**cfg))}  {shape_text(name, args.size)}")
        return 0
    unknown = [n for n in args.names if n not in SUITE]
    if unknown:
        print(f"unknown workload(s): {', '.join(unknown)}; known: {', '.join(names())}", file=sys.stderr)
        return 2
    if not args.json:
        print(f"{'workload':<9} {'size':<9} {'correct':<8} {'max_abs_err':>10} {'ms':>12} {'GFLOP/s':>9}")
    failed = 0
    for name in args.names or names():
        row = check(name, args.size, args.target, args.number, args.repeat)
        failed += not row["correct"]
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            print(_table_line(row), flush=True)
    return 1 if failed else 0
