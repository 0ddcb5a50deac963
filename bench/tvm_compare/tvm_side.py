"""The TVM side of the comparison: tune one suite op with TVM MetaSchedule from its defaults.

Runs only in the bench's own virtualenv (make_venv.sh); raytune_ms never imports TVM. The ops
are written here in TVM's te, with the shapes of raytune_ms's suite (raytune_ms/workloads/suite.py),
using TVM's public API only. Prints one JSON line: the best kernel time from TVM's database,
the best kernel re-timed after tuning, its check against numpy, and trials per minute of the
tuning wall time.

    /work/tvm-venv/bin/python bench/tvm_compare/tvm_side.py --workload GMM-1024 --trials 64 \
        --work-dir /tmp/tvm_gmm
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import tvm
import tvm.s_tir.meta_schedule as ms
from tvm import te

# the suite's shapes (raytune_ms/workloads/suite.py); "small" keeps each op's structure tiny
SHAPES = {
    "GMM-1024": {"standard": dict(B=1, N=1024, M=1024, K=1024), "small": dict(B=1, N=32, M=32, K=32)},
    "C2D": {"standard": dict(N=1, H=224, W=224, CI=3, CO=64, K=7, stride=2, padding=3),
            "small": dict(N=1, H=14, W=14, CI=3, CO=4, K=7, stride=2, padding=3)},
    "DEP": {"standard": dict(N=1, H=112, W=112, C=32, K=3, stride=1, padding=1),
            "small": dict(N=1, H=8, W=8, C=4, K=3, stride=1, padding=1)},
}


def out_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def padded(data, padding):
    n, h, w, c = data.shape
    return te.compute(
        (n, h + 2 * padding, w + 2 * padding, c),
        lambda i, y, x, ch: tvm.tirx.if_then_else(
            tvm.tirx.all(y >= padding, y < h + padding, x >= padding, x < w + padding),
            data[i, y - padding, x - padding, ch], tvm.tirx.const(0.0, "float32")),
        name="pad_temp")


def gmm(B, N, M, K):
    a = te.placeholder((B, N, K), name="A")
    b = te.placeholder((B, K, M), name="B")
    k = te.reduce_axis((0, K), "k")
    c = te.compute((B, N, M), lambda bb, i, j: te.sum(a[bb, i, k] * b[bb, k, j], axis=k), name="C")

    def ref(x, y):
        return np.matmul(x.astype(np.float64), y.astype(np.float64))

    return [a, b, c], ref, 2 * B * N * M * K


def c2d(N, H, W, CI, CO, K, stride, padding):
    data = te.placeholder((N, H, W, CI), name="inputs")
    weight = te.placeholder((K, K, CI, CO), name="weight")
    pad = padded(data, padding)
    rh, rw, rc = te.reduce_axis((0, K), "rh"), te.reduce_axis((0, K), "rw"), te.reduce_axis((0, CI), "rc")
    oh, ow = out_size(H, K, stride, padding), out_size(W, K, stride, padding)
    out = te.compute(
        (N, oh, ow, CO),
        lambda n, h, w, co: te.sum(pad[n, h * stride + rh, w * stride + rw, rc] * weight[rh, rw, rc, co],
                                   axis=[rh, rw, rc]),
        name="conv2d_nhwc")

    def ref(x, wt):
        xp = np.pad(x.astype(np.float64), ((0, 0), (padding, padding), (padding, padding), (0, 0)))
        res = np.zeros((N, oh, ow, CO))
        for i in range(K):
            for j in range(K):
                patch = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
                res += patch @ wt[i, j].astype(np.float64)
        return res

    return [data, weight, out], ref, 2 * N * oh * ow * CO * K * K * CI


def dep(N, H, W, C, K, stride, padding):
    data = te.placeholder((N, H, W, C), name="inputs")
    weight = te.placeholder((K, K, C), name="weight")
    pad = padded(data, padding)
    rh, rw = te.reduce_axis((0, K), "rh"), te.reduce_axis((0, K), "rw")
    oh, ow = out_size(H, K, stride, padding), out_size(W, K, stride, padding)
    out = te.compute(
        (N, oh, ow, C),
        lambda n, h, w, c: te.sum(pad[n, h * stride + rh, w * stride + rw, c] * weight[rh, rw, c], axis=[rh, rw]),
        name="depthwise_conv2d_nhwc")

    def ref(x, wt):
        xp = np.pad(x.astype(np.float64), ((0, 0), (padding, padding), (padding, padding), (0, 0)))
        res = np.zeros((N, oh, ow, C))
        for i in range(K):
            for j in range(K):
                res += xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :] * wt[i, j]
        return res

    return [data, weight, out], ref, 2 * N * oh * ow * C * K * K


OPS = {"GMM-1024": gmm, "C2D": c2d, "DEP": dep}


def preload_tensor_intrin() -> None:
    """Build-worker initializer: TVM's default build imports tvm.s_tir.tensor_intrin inside each
    task, and a fresh worker pool is started per batch; on a loaded 2-core machine that import
    alone outlasts the builder's 30 s timeout, so every candidate fails. Importing it in the
    initializer (which no timeout bounds) keeps it in the wall time but out of the timeout."""
    import tvm.s_tir.tensor_intrin  # noqa: F401


def host_cpu() -> str:
    """LLVM's name for this CPU (the same as gcc -march=native here)."""
    return tvm.get_global_func("target.llvm_get_system_cpu")()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", choices=sorted(OPS), required=True)
    p.add_argument("--trials", type=int, default=64)
    p.add_argument("--size", choices=("standard", "small"), default="standard")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--num-cores", type=int, default=2)
    p.add_argument("--builder", choices=("preload", "default"), default="preload",
                   help="default: TVM's LocalBuilder as it is; preload: the same with the tensor_intrin "
                        "import in the worker initializer (see preload_tensor_intrin)")
    p.add_argument("--retime-only", action="store_true",
                   help="no tuning: re-time the best kernel of the database already in --work-dir")
    args = p.parse_args(argv)

    tensors, ref, flops = OPS[args.workload](**SHAPES[args.workload][args.size])
    func = te.create_prim_func(tensors).with_attr("global_symbol", "main")
    mod = tvm.IRModule({"main": func})
    target = tvm.target.Target({"kind": "llvm", "mcpu": host_cpu(), "num-cores": args.num_cores})

    start = time.perf_counter()
    if args.retime_only:
        database = ms.database.JSONDatabase(work_dir=args.work_dir, allow_missing=False)
    else:
        builder = "local" if args.builder == "default" else ms.builder.LocalBuilder(initializer=preload_tensor_intrin)
        database = ms.tune_tir(mod, target, args.work_dir, max_trials_global=args.trials, builder=builder)
    wall = time.perf_counter() - start

    records = database.get_all_tuning_records()
    trials = len(records)
    ok = [r for r in records if r.run_secs and all(float(s) < 1e9 for s in r.run_secs)]
    best_s = min((float(np.mean([float(s) for s in r.run_secs])) for r in ok), default=None)

    sch = ms.tir_integration.compile_tir(database, mod, target)
    if sch is None:
        print(json.dumps({"side": "tvm", "workload": args.workload, "size": args.size, "target": str(target),
                          "trials": trials, "wall_s": round(wall, 3), "builder": args.builder,
                          "error": "no successful candidate (see the logs under the work dir)"}), flush=True)
        return 1
    lib = tvm.compile(sch.mod, target=target)
    dev = tvm.cpu()
    rng = np.random.default_rng(1)
    inputs = [rng.uniform(-1, 1, size=[int(s) for s in t.shape]).astype("float32") for t in tensors[:-1]]
    out_shape = [int(s) for s in tensors[-1].shape]
    nd = [tvm.runtime.tensor(x, dev) for x in inputs] + [tvm.runtime.tensor(np.zeros(out_shape, "float32"), dev)]
    lib(*nd)
    got = nd[-1].numpy()
    correct = bool(np.allclose(got, ref(*inputs), rtol=1e-3, atol=1e-3))
    evaluator = lib.mod.time_evaluator("main", dev, number=1, repeat=5, min_repeat_ms=100)
    retimed = min(evaluator(*nd).results)

    print(json.dumps({
        "side": "tvm", "tvm_version": tvm.__version__, "workload": args.workload, "size": args.size,
        "target": str(target), "builder": args.builder, "trials": trials,
        **({"retime_only": True} if args.retime_only
           else {"wall_s": round(wall, 3), "trials_per_min": trials / wall * 60}),
        "best_ms": None if best_s is None else best_s * 1e3,
        "retimed_ms": retimed * 1e3, "gflops": flops / retimed / 1e9, "correct": correct,
    }), flush=True)
    return 0 if correct else 1


if __name__ == "__main__":
    raise SystemExit(main())
