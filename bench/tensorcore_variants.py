"""Benchmark: the tensor-core space's variants side by side, on the same workloads and seeds.

Variants: MultiLevelTilingTensorCore with the wmma group (the default), with
use_software_pipeline=True, with the mma.sync + ldmatrix group, with both, with both at
pipeline_stages=3 (three copies of each shared tile, two cp.async groups in flight), and
pipelined with the mma.sync groups for both B layouts ("mma-nt+pipeline": an NT GEMM keeps B
[N, K], ldmatrix without .trans; as do the wmma variants, whose default groups load it into
col_major fragments, while "mma", "mma+pipeline" and "mma+pipeline3" give it a re-laid-out copy); target
`cuda -arch=sm_80` (so the pipeline's copies are cp.async). Per variant and workload, `--per`
random replays go through the postprocessors (VerifyGPUCode included); each accepted candidate is
generated (codegen_cuda), compiled to PTX for compute_80 by NVRTC (in this process, one thread:
CPU seconds are the steadier figure on a loaded machine) and, with `--emulate`, run in the CUDA
emulator against numpy.

Prints one JSON line per (variant, workload) ({"bench": "tensorcore_variants", "variant",
"workload", "sampled", "accepted", "correct" (or null), "kernels", "cpu_s", "kernels_per_cpu_s",
"ptx_has": the instructions found, "b_fetch_vector": the candidates whose B fetch into shared
memory is a vector copy}) with the CPU model.
Workloads: the suite's fp16 GMM, BMM and C2D (small by default), a 32x32x64 GMM ("GMM-K64"), a 40x72x56 one
("padded", to 48x80x64) and a 128x128x64 NT GEMM ("GMM-NT": B stored [N, K], torch's x @ W.T).
Usage: python bench/tensorcore_variants.py [--per 4] [--names GMM,GMM-K64,BMM,C2D,padded] [--emulate]
       python bench/tensorcore_variants.py --size standard --names GMM-1024,BMM,C2D  (VerifyGPUCode + NVRTC)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time

from suite_vs_torch import cpu_info  # a sibling script: bench/ is on the path of a bench

TARGET = "cuda -arch=sm_80"
# a statement storing into B's shared tile: an assignment (maybe through a vector cast) or a cp.async
B_FETCH = re.compile(r"\n\s*((?:\*\(\w+\*\)\(&)?B\w*_shared\[[^\n]*? = [^\n]*"
                     r"|rtms_cp_async\w*<\d+>\(&B\w*_shared[^\n]*)")
VECTOR = re.compile(r"^rtms_cp_async\w*<(4|8|16)>|^\*\(int[24]?\*\)")  # 4 to 16 bytes at once
INSTRUCTIONS = ("wmma.mma.sync", "mma.sync.aligned.m16n8k16", "ldmatrix.sync", "cp.async.cg", "cp.async.ca",
                "cp.async.wait_group")


def variants() -> dict:
    from raytune_ms.tir.tensor_intrin.cuda_mma import get_mma_intrin_group

    mma = {"intrin_groups": [get_mma_intrin_group()]}
    both = {"intrin_groups": [get_mma_intrin_group(), get_mma_intrin_group(trans_b=True)]}
    return {"wmma": {}, "wmma+pipeline": {"use_software_pipeline": True}, "mma": mma,
            "mma+pipeline": {**mma, "use_software_pipeline": True},
            "mma+pipeline3": {**mma, "use_software_pipeline": True, "pipeline_stages": 3},
            "mma-nt+pipeline": {**both, "use_software_pipeline": True}}


def workload(name: str, size: str = "small"):
    import numpy as np

    from raytune_ms import te, workloads
    from raytune_ms.topi import dense
    from raytune_ms.workloads.workload import Workload

    shapes = {"padded": (40, 72, 56), "GMM-K64": (32, 32, 64)}  # small GEMMs with several k steps
    if name == "GMM-NT":
        from raytune_ms.testing.tensorcore_programs import fp16_gemm

        func = fp16_gemm(128, 128, 64, b_transposed=True)
        return Workload(name, "128x128x64", func, 2 * 128 * 128 * 64,
                        lambda a, b: [a.astype(np.float64) @ b.astype(np.float64).T], rtol=1e-3, atol=1e-3)
    if name not in shapes:
        return workloads.get(name, size, dtype="float16")
    n, m, k = shapes[name]
    func = te.create_prim_func(dense.batch_matmul_nkkm(1, n, m, k, "float16", "float32"))
    return Workload(name, f"1x{n}x{m}x{k}", func, 2 * n * m * k,
                    lambda a, b: [np.matmul(a.astype(np.float64), b.astype(np.float64))], rtol=1e-3, atol=1e-3)


def measure(variant: str, options: dict, name: str, per: int, emulate: bool, seed: int = 11,
            size: str = "small") -> dict:
    from raytune_ms.codegen.cuda import codegen_cuda
    from raytune_ms.runtime.nvrtc import compile_cuda
    from raytune_ms.testing.tensorcore import context, samples
    from raytune_ms.testing.tensorcore import emulate as run_emulated

    w = workload(name, size)
    _, scheds = samples(context(w.func, TARGET, **options), per, seed=seed)
    kernels, cpu, found, correct, vector_b = 0, 0.0, set(), 0, 0
    for n, sch in enumerate(scheds):
        c0 = time.process_time()
        art = codegen_cuda(sch.mod.entry_func(), TARGET)
        ptx, _ = compile_cuda(art.source, "compute_80", f"{name}{n}")
        cpu += time.process_time() - c0
        kernels += ptx.count(b".entry")
        found |= {i for i in INSTRUCTIONS if i.encode() in ptx}
        fetches = B_FETCH.findall(art.source)
        vector_b += bool(fetches) and all(VECTOR.search(line) for line in fetches)
        if emulate:
            correct += bool(run_emulated(sch, w, TARGET)[0])
    return {"bench": "tensorcore_variants", "variant": variant, "workload": name, "size": size, "sampled": per,
            "accepted": len(scheds), "correct": correct if emulate else None, "kernels": kernels,
            "cpu_s": round(cpu, 3), "kernels_per_cpu_s": round(kernels / cpu, 2) if cpu else None,
            "ptx_has": sorted(found), "b_fetch_vector": vector_b, **cpu_info()}


def run(per: int, names, emulate: bool, which=None, size: str = "small") -> list:
    rows = []
    for name in names:
        for variant, options in variants().items():
            if which is None or variant in which:
                row = measure(variant, options, name, per, emulate, seed=random.Random(name).getrandbits(30),
                              size=size)
                print(json.dumps(row), flush=True)
                rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per", type=int, default=4)
    ap.add_argument("--names", default="GMM,GMM-K64,BMM,C2D,padded")
    ap.add_argument("--variants", default=None, help="comma-separated subset of " + ",".join(variants()))
    ap.add_argument("--emulate", action="store_true")
    ap.add_argument("--size", default="small", help="of the suite's workloads (standard: do not --emulate)")
    args = ap.parse_args()
    run(args.per, args.names.split(","), args.emulate, args.variants.split(",") if args.variants else None,
        args.size)


if __name__ == "__main__":
    main()
