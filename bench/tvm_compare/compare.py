"""raytune_ms against TVM MetaSchedule, same machine, same hour, both from their defaults.

For each op (GMM-1024, C2D, DEP by default) the driver tunes it with TVM (tvm_side.py, in the
bench's own virtualenv: make_venv.sh) and with raytune_ms (`raytune-ms tune --workload X
--trials N --json`, this environment), one after the other, alternating which goes first from
op to op so neither always gets the quieter minutes. Each side reports the best kernel time its
tuner measured and trials per minute of its tuning wall time. Then the two best kernels are
re-timed side by side: ROUNDS rounds, alternating TVM's and ours, each a min of 5 repeats of
>= 100 ms in its own runtime; the minimum per side over the rounds is the figure.

Prints JSON lines: the CPU (lscpu model, AVX-512), one line per side and op, then one line per
op with the ratios: speed ours/TVM (> 1: ours faster; from the side-by-side re-timing and from
the tuners' own records) and trials per minute ours/TVM. `--retime-only --tuned FILE` re-times
the databases an earlier run left in --work-dir and takes its tuning lines from FILE.

    python bench/tvm_compare/compare.py --trials 64 [--tvm-python /work/tvm-venv/bin/python]
    python bench/tvm_compare/compare.py --sides ours --size small --trials 4   # no TVM needed
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
OPS = ("GMM-1024", "C2D", "DEP")
DEFAULT_TVM_PYTHON = os.environ.get("TVM_PYTHON", "/work/tvm-venv/bin/python")
RETIME = dict(number=1, repeat=5, min_repeat_ms=100)  # the TVM side times with the same
ROUNDS = 3


def cpu_info() -> dict:
    """The CPU model and whether it has AVX-512 (suite_vs_torch's lscpu reading)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("suite_vs_torch", HERE.parent / "suite_vs_torch.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # it sets OMP_NUM_THREADS=2 (the TVM target's num-cores too)
    return mod.cpu_info()


def _last_json(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def run_ours(workload: str, size: str, trials: int, work_dir: str, timeout: float) -> dict:
    """Tune with raytune_ms's CLI defaults (its summary says whether the best matches numpy)."""
    from raytune_ms import workloads

    cmd = [sys.executable, "-c", "import sys; from raytune_ms.cli import main; sys.exit(main())",
           "tune", "--workload", workload, "--size", size, "--trials", str(trials),
           "--work-dir", work_dir, "--json", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    summary = _last_json(proc.stdout)
    if proc.returncode != 0 or summary is None:
        return {"side": "ours", "workload": workload, "size": size,
                "error": f"raytune-ms tune exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"}
    flops = workloads.get(workload, size).flops
    return {"side": "ours", "workload": workload, "size": size, "trials": summary["trials"],
            "wall_s": summary["wall_s"], "trials_per_min": summary["trials"] / summary["wall_s"] * 60,
            "best_ms": summary["best_ms"], "gflops_tuner": flops / (summary["best_ms"] * 1e-3) / 1e9,
            "correct": bool(summary["correct"])}


def retime_ours(workload: str, size: str, work_dir: str) -> tuple:
    """(seconds, correct) of the best kernel in our database under `work_dir`."""
    import raytune_ms as ms
    from raytune_ms import workloads
    from raytune_ms.database import Database

    wl = workloads.get(workload, size)
    sch = ms.compile_tir(Database.create("parquet", work_dir=work_dir), wl.func, "llvm")
    mod = ms.build(sch.mod, "llvm")
    arrays = wl.make_inputs(seed=1)
    mod(*arrays)
    correct, _ = wl.compare(arrays)
    return min(mod.time(*arrays, **RETIME)), bool(correct)


def run_tvm(workload: str, size: str, trials: int, work_dir: str, timeout: float, python: str,
            builder: str, retime_only: bool = False) -> dict:
    cmd = [python, str(HERE / "tvm_side.py"), "--workload", workload, "--size", size,
           "--trials", str(trials), "--work-dir", work_dir, "--builder", builder]
    if retime_only:
        cmd.append("--retime-only")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"side": "tvm", "workload": workload, "size": size, "error": f"timed out after {timeout} s"}
    result = _last_json(proc.stdout)
    if result is None:
        tail = (proc.stderr or proc.stdout).strip()[-2000:]
        return {"side": "tvm", "workload": workload, "size": size,
                "error": f"tvm_side.py exited {proc.returncode} (signal {-proc.returncode} if negative): {tail}"}
    return result


def side_by_side(workload: str, size: str, root: str, python: str, timeout: float) -> dict:
    """The two best kernels re-timed in alternating rounds; the minimum per side."""
    ours_s, tvm_s, correct = math.inf, math.inf, {}
    for i in range(ROUNDS):
        for side in (("tvm", "ours") if i % 2 == 0 else ("ours", "tvm")):
            work_dir = os.path.join(root, f"{side}_{workload}")
            if side == "ours":
                secs, correct["ours"] = retime_ours(workload, size, work_dir)
                ours_s = min(ours_s, secs)
            else:
                got = run_tvm(workload, size, 0, work_dir, timeout, python, "preload", retime_only=True)
                if "error" in got:
                    return {"error": got["error"]}
                tvm_s, correct["tvm"] = min(tvm_s, got["retimed_ms"] / 1e3), got["correct"]
    return {"retimed_ms_ours": ours_s * 1e3, "retimed_ms_tvm": tvm_s * 1e3, "rounds": ROUNDS,
            "correct_ours": correct["ours"], "correct_tvm": correct["tvm"]}


def ratios(ours: dict, tvm: dict) -> dict:
    """Speed ours/TVM (> 1: ours faster) and trials per minute ours/TVM."""
    def ratio(a, b):
        return None if not a or not b or math.isnan(a) or math.isnan(b) else a / b

    return {
        "speed_ratio": ratio(tvm.get("retimed_ms"), ours.get("retimed_ms")),
        "speed_ratio_tuner_records": ratio(tvm.get("best_ms"), ours.get("best_ms")),
        "trials_per_min_ratio": ratio(ours.get("trials_per_min"), tvm.get("trials_per_min")),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workloads", nargs="+", choices=OPS, default=list(OPS))
    p.add_argument("--trials", type=int, default=64)
    p.add_argument("--size", choices=("standard", "small"), default="standard")
    p.add_argument("--sides", choices=("both", "ours", "tvm"), default="both")
    p.add_argument("--tvm-python", default=DEFAULT_TVM_PYTHON, help="the python of the TVM virtualenv")
    p.add_argument("--tvm-builder", choices=("preload", "default"), default="preload",
                   help="see tvm_side.py --builder")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds per side and op")
    p.add_argument("--work-dir", default=None, help="keep the databases here (default: a temporary dir)")
    p.add_argument("--retime-only", action="store_true", help="re-time the databases in --work-dir")
    p.add_argument("--tuned", default=None, help="with --retime-only: the JSON lines of the run that tuned them")
    args = p.parse_args(argv)
    if args.retime_only and not (args.work_dir and args.tuned):
        p.error("--retime-only needs --work-dir and --tuned")

    print(json.dumps({"bench": "tvm_compare", **cpu_info(), "trials": args.trials, "size": args.size,
                      "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}), flush=True)
    root = args.work_dir or tempfile.mkdtemp(prefix="tvm_compare_")
    ok = True
    tuned = {}
    if args.retime_only:
        with open(args.tuned) as f:
            lines = [json.loads(line) for line in f if line.startswith("{")]
        tuned = {(d["side"], d["workload"]): d for d in lines if "side" in d}
    for i, workload in enumerate(args.workloads):
        sides = {"both": ["tvm", "ours"] if i % 2 == 0 else ["ours", "tvm"]}.get(args.sides, [args.sides])
        got = {side: tuned[(side, workload)] for side in sides if (side, workload) in tuned}
        for side in sides if not args.retime_only else ():
            work_dir = os.path.join(root, f"{side}_{workload}")
            if side == "ours":
                got[side] = run_ours(workload, args.size, args.trials, work_dir, args.timeout)
            else:
                got[side] = run_tvm(workload, args.size, args.trials, work_dir, args.timeout,
                                    args.tvm_python, args.tvm_builder)
            got[side]["order"] = sides.index(side)
            print(json.dumps(got[side]), flush=True)
            ok = ok and "error" not in got[side]
        if len(got) == 2 and "error" not in got["ours"] and "error" not in got["tvm"]:
            both = side_by_side(workload, args.size, root, args.tvm_python, args.timeout)
            ok = ok and "error" not in both
            got["ours"]["retimed_ms"] = both.get("retimed_ms_ours")
            got["tvm"]["retimed_ms"] = both.get("retimed_ms_tvm")
            print(json.dumps({"workload": workload, **both, **ratios(got["ours"], got["tvm"]), **cpu_info()}),
                  flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
