"""Benchmark: tune every suite op, then time the best kernel against torch in the same process.

For each workload: tune it (automatic design space, replay-trace with a random cost model by
default: the issue-9 figure), build the best schedule, check it against the numpy reference,
and time it against a torch implementation of the same op with the same memory layout
(channel-last activations in, channel-last result out; weights are constants, converted to
torch's layout once, outside the timing). Both sides run on 2 threads (OpenMP and torch), fp32,
min of `rounds` interleaved rounds of `calls` calls each, so both see the same busy and quiet
moments (with a short pause between the two sides: each side's idle OpenMP threads spin).
Ours is timed by the artifact's own C harness, torch by perf_counter around one Python call (so
torch's few microseconds of dispatch count against it on the smallest ops). Both sides get
2 threads: the target is "llvm -num-cores=2", not the host's whole core count.
The untransformed program is timed once too ("no op slower than unscheduled").
Every torch implementation is checked against the numpy reference before it is timed.

Prints a first JSON line with the CPU (lscpu model name, AVX-512 or not), then one line per op:
{"op", "size", "trials", "ours_ms", "torch_ms", "speed" (torch_ms / ours_ms), "unscheduled_ms",
"correct", "tune_wall_s"}.
Usage: python bench/suite_vs_torch.py [--size standard|small] [--workloads GMM,C1D] [--trials 64]
       [--strategy replay-trace] [--cost-model random] [--space post-order-apply] [--rounds 10]
       [--calls 5]
"""

from __future__ import annotations

import os

THREADS = 2
os.environ["OMP_NUM_THREADS"] = str(THREADS)  # before torch (and its OpenMP) is loaded

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import raytune_ms  # noqa: E402
from raytune_ms import workloads  # noqa: E402

TARGET = f"llvm -num-cores={THREADS}"  # the host CPU, as many threads as torch gets


def _conv_nd(ndim):
    """Channel-last conv via torch: (N, *sp, CI) x (*K, CI/g, CO) -> (N, *sp', CO)."""
    import torch.nn.functional as F

    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[ndim]
    to_first = (0, ndim + 1, *range(1, ndim + 1))  # channel-last -> channel-first (a view)
    to_last = (0, *range(2, ndim + 2), 1)

    def make(cfg, x, w):
        wt = w.permute(ndim + 1, ndim, *range(ndim)).contiguous()  # (CO, CI/g, *K)
        kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg.get("dilation", 1),
                  groups=cfg.get("groups", 1))
        return lambda x: fn(x.permute(*to_first), wt, **kw).permute(*to_last).contiguous()

    return make


def _dep(cfg, x, w):
    import torch.nn.functional as F

    wt = w.permute(2, 0, 1)[:, None].contiguous()  # (C, 1, K, K)
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], groups=cfg["C"])
    return lambda x: F.conv2d(x.permute(0, 3, 1, 2), wt, **kw).permute(0, 2, 3, 1).contiguous()


def _cap(cfg, x, w):
    """Capsule conv as one conv2d: the input's capsule row i joins the batch, (k, c) are the
    input channels and (j, o) the output channels, since the weight does not depend on i."""
    import torch.nn.functional as F

    N, H, W, CI, CO, K, cap = (cfg[k] for k in ("N", "H", "W", "CI", "CO", "K", "capsule"))
    wt = w.permute(3, 5, 2, 4, 0, 1).reshape(cap * CO, cap * CI, K, K).contiguous()

    def run(x):
        xi = x.permute(0, 3, 4, 5, 1, 2).reshape(N * cap, cap * CI, H, W)
        out = F.conv2d(xi, wt, stride=cfg["stride"], padding=cfg["padding"])
        oh, ow = out.shape[-2:]
        return out.reshape(N, cap, cap, CO, oh, ow).permute(0, 4, 5, 1, 2, 3).contiguous()

    return run


def _t2d(cfg, x, w):
    import torch.nn.functional as F

    wt = w.permute(2, 3, 0, 1).contiguous()  # (CI, CO, K, K)
    kw = dict(stride=cfg["stride"], padding=cfg["padding"])
    return lambda x: F.conv_transpose2d(x.permute(0, 3, 1, 2), wt, **kw).permute(0, 2, 3, 1).contiguous()


def _cbr(cfg, x, w, bias, scale, offset):
    import torch
    import torch.nn.functional as F

    wt = w.permute(3, 2, 0, 1).contiguous()
    kw = dict(stride=cfg["stride"], padding=cfg["padding"])

    def run(x):
        conv = F.conv2d(x.permute(0, 3, 1, 2), wt, bias, **kw).permute(0, 2, 3, 1)
        return torch.relu(torch.addcmul(offset, conv, scale)).contiguous()

    return run


def _matmul(cfg, a, b):
    import torch

    return lambda a: torch.matmul(a, b)


def _tbg(cfg, q, k):
    import torch

    kt = k.permute(0, 2, 3, 1).contiguous()  # (batch, heads, dim, seq): the key is a constant
    return lambda q: torch.matmul(q.permute(0, 2, 1, 3), kt)


def _nrm(cfg, a):
    import torch

    return lambda a: torch.linalg.vector_norm(a, dim=(1, 2))


def _sfm(cfg, a):
    import torch

    return lambda a: torch.softmax(a, dim=1)


def _ln(cfg, a, gamma, beta):
    import torch.nn.functional as F

    return lambda a: F.layer_norm(a, (cfg["N"],), gamma, beta, eps=1e-5)


# op -> (constants: tensors (inputs after the first) -> fn(first input) -> output in our layout)
TORCH = {
    "C1D": _conv_nd(1), "C2D": _conv_nd(2), "C3D": _conv_nd(3), "DIL": _conv_nd(2), "GRP": _conv_nd(2),
    "CAP": _cap, "DEP": _dep, "T2D": _t2d, "CBR": _cbr,
    "GMM": _matmul, "GMM-1024": _matmul, "BMM": _matmul, "GEMV": _matmul, "TBG": _tbg,
    "NRM": _nrm, "SFM": _sfm, "LN": _ln,
}


def torch_impl(name: str, size: str, inputs: list):
    """(fn, x): fn(x) computes workload `name`'s output from its first input x (a torch view of
    inputs[0]); the other inputs are bound as constants."""
    import torch

    if name not in TORCH:
        raise KeyError(f"no torch implementation for workload {name!r}")
    tensors = [torch.from_numpy(a) for a in inputs]
    return TORCH[name](workloads.config(name, size), *tensors), tensors[0]


def check_torch(name: str, size: str, seed: int = 0):
    """Raise if the torch implementation of `name` differs from the numpy reference; returns
    (fn, x, arrays) ready to time."""
    wl = workloads.get(name, size)
    arrays = wl.make_inputs(seed=seed)
    fn, x = torch_impl(name, size, arrays[: wl.num_inputs])
    got = [a.copy() for a in arrays]
    got[-1] = fn(x).numpy().reshape(got[-1].shape)
    correct, err = wl.compare(got)
    if not correct:
        raise AssertionError(f"torch implementation of {name!r} ({size}) differs from the numpy reference: "
                             f"max abs error {err:g}")
    return fn, x, arrays


def cpu_info() -> dict:
    """The CPU model and whether it has AVX-512, from lscpu."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        return {"cpu": f"unknown (lscpu failed: {err})", "avx512": None}
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    flags = fields.get("Flags", "").split()
    return {"cpu": fields.get("Model name", "unknown").strip(), "avx512": "avx512f" in flags,
            "threads": THREADS}


def tune_best(name: str, size: str, trials: int, space: str, strategy: str, cost_model: str, seed):
    """(best Module, tuning wall seconds) of workload `name`."""
    wl = workloads.get(name, size)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"suite_vs_torch_{name}_") as work_dir:
        db = raytune_ms.tune_tir(wl.func, TARGET, work_dir, trials, space=space, strategy=strategy,
                                 cost_model=cost_model, builder="local", runner="local", database="memory",
                                 baseline=workloads.SuiteBaseline(name, size), seed=seed, progress=False)
        wall = time.perf_counter() - t0
        sch = raytune_ms.compile_tir(db, wl.func, TARGET)
    if sch is None:
        raise RuntimeError(f"workload {name!r}: tuning recorded no valid schedule in {trials} trials")
    return raytune_ms.build(sch.mod, TARGET), wall


# Our kernels and torch each bring an OpenMP runtime whose idle threads spin for a while after
# a parallel loop; on a machine with as many cores as threads those spinning threads steal the
# cores from the other side (measured here: torch's 128^3 matmul 1.6 ms right after ours, 0.018 ms
# alone). A pause between the two sides' windows lets them fall asleep first.
QUIET_S = 0.05


def time_side_by_side(mod, fn, x, arrays, rounds: int, calls: int) -> tuple:
    """(ours_s, torch_s): best single call of each, the two interleaved round by round, with a
    quiet pause before each window (see QUIET_S)."""
    def torch_best(n):
        best = float("inf")
        for _ in range(n):
            t0 = time.perf_counter()
            fn(x)
            best = min(best, time.perf_counter() - t0)
        return best

    torch_best(2)  # warm-up
    mod(*arrays)
    ours = theirs = float("inf")
    for _ in range(rounds):
        time.sleep(QUIET_S)
        ours = min(ours, min(mod.time(*arrays, number=1, repeat=calls, min_repeat_ms=0)))
        time.sleep(QUIET_S)
        theirs = min(theirs, torch_best(calls))
    return ours, theirs


def bench_op(name: str, size: str, trials: int, space: str, strategy: str, cost_model: str,
             rounds: int = 10, calls: int = 5, seed=1) -> dict:
    """Tune, check and time one workload; one result dict."""
    import torch

    torch.set_num_threads(THREADS)
    wl = workloads.get(name, size)
    fn, x, arrays = check_torch(name, size)
    mod, wall = tune_best(name, size, trials, space, strategy, cost_model, seed)
    got = [a.copy() for a in arrays]
    mod(*got)
    correct, _ = wl.compare(got)
    unscheduled = raytune_ms.build(wl.func, TARGET)
    unscheduled_s = min(unscheduled.time(*[a.copy() for a in arrays], number=1, repeat=1, min_repeat_ms=0))
    ours, theirs = time_side_by_side(mod, fn, x, arrays, rounds, calls)
    return {"op": name, "size": size, "trials": trials, "ours_ms": _ms(ours), "torch_ms": _ms(theirs),
            "speed": round(theirs / ours, 3), "unscheduled_ms": _ms(unscheduled_s), "correct": correct,
            "tune_wall_s": round(wall, 1)}


def _ms(seconds: float) -> float:
    return float(f"{seconds * 1e3:.4g}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--size", default="standard", choices=workloads.SIZES)
    p.add_argument("--workloads", default=",".join(workloads.names()), help="comma-separated suite names")
    p.add_argument("--trials", type=int, default=64)
    p.add_argument("--space", default="post-order-apply")
    p.add_argument("--strategy", default="replay-trace")
    p.add_argument("--cost-model", default="random")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--calls", type=int, default=5)
    p.add_argument("--seed", type=int, default=1, help="tuning seed, >= 1")
    args = p.parse_args(argv)
    names = [n.strip() for n in args.workloads.split(",") if n.strip()]
    for name in names:
        workloads.config(name, args.size)  # unknown names fail before any tuning
    print(json.dumps(cpu_info()), flush=True)
    for name in names:
        print(json.dumps(bench_op(name, args.size, args.trials, args.space, args.strategy, args.cost_model,
                                  args.rounds, args.calls, args.seed)), flush=True)


if __name__ == "__main__":
    main()
