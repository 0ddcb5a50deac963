"""raytune_ms against TVM MetaSchedule, same machine, same hour, both from their defaults.

For each op (GMM-1024, C2D, DEP by default) the driver tunes it with TVM (tvm_side.py, in the
bench's own virtualenv: make_venv.sh) and with raytune_ms (`raytune-ms tune --workload X
--trials N --json`, this environment), one after the other, alternating which goes first from
op to op so neither always gets the quieter minutes. Each side reports the best kernel time its
tuner measured, the best kernel re-timed after tuning (min of 5 repeats of >= 100 ms each, in
its own runtime), and trials per minute of its tuning wall time.

Prints JSON lines: the CPU (lscpu model, AVX-512), one line per side and op, then one line per
op with the ratios: speed ours/TVM (> 1: ours faster; from the re-timed kernels and from the
tuners' own records) and trials per minute ours/TVM.

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


def cpu_info() -> dict:
    """The CPU model and whether it has AVX-512, from lscpu."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        return {"cpu": f"unknown (lscpu failed: {err})", "avx512": None}
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {"cpu": fields.get("Model name", "unknown").strip(),
            "avx512": "avx512f" in fields.get("Flags", "").split(), "cores": os.cpu_count()}


def _last_json(stdout: str) -> dict | None:
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return None


def run_ours(workload: str, size: str, trials: int, work_dir: str, timeout: float) -> dict:
    """Tune with raytune_ms's CLI defaults, then re-time the best kernel here."""
    import raytune_ms as ms
    from raytune_ms import workloads
    from raytune_ms.database import Database

    cmd = [sys.executable, "-c", "import sys; from raytune_ms.cli import main; sys.exit(main())",
           "tune", "--workload", workload, "--size", size, "--trials", str(trials),
           "--work-dir", work_dir, "--json", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    summary = _last_json(proc.stdout)
    if proc.returncode != 0 or summary is None:
        return {"side": "ours", "workload": workload, "size": size,
                "error": f"raytune-ms tune exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"}
    wl = workloads.get(workload, size)
    db = Database.create("parquet", work_dir=work_dir)
    sch = ms.compile_tir(db, wl.func, "llvm")
    mod = ms.build(sch.mod, "llvm")
    arrays = wl.make_inputs(seed=1)
    mod(*arrays)
    correct, _ = wl.compare(arrays)
    retimed = min(mod.time(*arrays, **RETIME))
    return {"side": "ours", "workload": workload, "size": size, "trials": summary["trials"],
            "wall_s": summary["wall_s"], "trials_per_min": summary["trials"] / summary["wall_s"] * 60,
            "best_ms": summary["best_ms"], "retimed_ms": retimed * 1e3, "gflops": wl.flops / retimed / 1e9,
            "correct": bool(correct and summary["correct"])}


def run_tvm(workload: str, size: str, trials: int, work_dir: str, timeout: float, python: str,
            builder: str) -> dict:
    cmd = [python, str(HERE / "tvm_side.py"), "--workload", workload, "--size", size,
           "--trials", str(trials), "--work-dir", work_dir, "--builder", builder]
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
    args = p.parse_args(argv)

    print(json.dumps({"bench": "tvm_compare", **cpu_info(), "trials": args.trials, "size": args.size,
                      "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}), flush=True)
    root = args.work_dir or tempfile.mkdtemp(prefix="tvm_compare_")
    ok = True
    for i, workload in enumerate(args.workloads):
        sides = {"both": ["tvm", "ours"] if i % 2 == 0 else ["ours", "tvm"]}.get(args.sides, [args.sides])
        got = {}
        for side in sides:
            work_dir = os.path.join(root, f"{side}_{workload}")
            if side == "ours":
                got[side] = run_ours(workload, args.size, args.trials, work_dir, args.timeout)
            else:
                got[side] = run_tvm(workload, args.size, args.trials, work_dir, args.timeout,
                                    args.tvm_python, args.tvm_builder)
            got[side]["order"] = sides.index(side)
            print(json.dumps(got[side]), flush=True)
            ok = ok and "error" not in got[side]
        if len(got) == 2:
            print(json.dumps({"workload": workload, **ratios(got["ours"], got["tvm"]), **cpu_info()}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
