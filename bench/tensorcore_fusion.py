"""Benchmark: the "cuda-tensorcore" space on GEMMs that need padding or reindexing, with and
without an epilogue: how many sampled candidates pass the postprocessors and are tensorized,
how many kernels each has (a copy that is not folded into the GEMM is a kernel of its own),
how many compute the numpy result in the CPU CUDA emulator (testing/cuda_emulator.py), and
the NVRTC build rate (codegen + compile to PTX, per CPU-second: NVRTC runs in this process).

Besides the public API it uses only raytune_ms/testing/tensorcore_programs.py (the programs),
so the same script measures another tree (PYTHONPATH=that tree, with that file copied in if it
lacks it) for a before/after comparison on the same programs and seeds.

Prints one JSON line per program: {"bench": "tensorcore_fusion", cpu fields, "program",
"sampled", "accepted", "tensorized", "kernels_per_candidate", "emulated", "emulator_correct",
"built", "build_cpu_s", "kernels_per_cpu_s", "candidates_per_cpu_s"}, with --mutate M also
"mutated", "mutated_accepted", "mutated_emulated", "mutated_emulator_correct".
Usage: python bench/tensorcore_fusion.py [--samples 8] [--emulate 4] [--mutate 8] [--programs gmm_pad,nt_gemm]
"""

from __future__ import annotations

import argparse
import json
import random
import time

import numpy as np
from suite_vs_torch import cpu_info  # a sibling script: bench/ is on the path of a bench

PROGRAMS = {  # name: (shape m, n, k, layout)
    "gmm_pad": ((100, 200, 72), {}),
    "gmm_pad_bias_relu": ((100, 200, 72), {"epilogue": True}),
    "nt_gemm": ((128, 120, 64), {"b_transposed": True}),
    "nt_gemm_pad_bias_relu": ((100, 120, 40), {"b_transposed": True, "epilogue": True}),
    "out_transposed": ((64, 48, 32), {"out_transposed": True}),
}


def _context(func):
    from raytune_ms.space_generator.post_order_apply import PostOrderApply
    from raytune_ms.tune_context import TuneContext

    space = PostOrderApply(sch_rules="cuda-tensorcore", postprocs="cuda-tensorcore", mutator_probs="cuda-tensorcore")
    return TuneContext(func, target="cuda", space_generator=space, rand_state=5)


def _emulated_ok(func, sch, layout, seed) -> bool:
    from raytune_ms.codegen.cuda import codegen_cuda
    from raytune_ms.testing.cuda_emulator import EmulatedModule
    from raytune_ms.testing.tensorcore_programs import fp16_gemm_inputs, fp16_gemm_reference

    arrays = fp16_gemm_inputs(func, seed)
    EmulatedModule(codegen_cuda(sch.mod.entry_func(), "cuda"))(*arrays)
    return bool(np.allclose(arrays[-1], fp16_gemm_reference(arrays, **layout), rtol=1e-3, atol=1e-3))


def run(name: str, samples: int, emulate: int, seed: int = 1, mutate: int = 0) -> dict:
    from raytune_ms.codegen.cuda import codegen_cuda
    from raytune_ms.runtime.nvrtc import compile_cuda
    from raytune_ms.testing.design_spaces import replays
    from raytune_ms.testing.tensorcore_programs import fp16_gemm
    from raytune_ms.tir import For, collect
    from raytune_ms.tir.tensor_intrin import TENSORIZED_KEY

    (m, n, k), layout = PROGRAMS[name]
    func = fp16_gemm(m, n, k, **layout)
    ctx = _context(func)
    accepted, _ = replays(ctx, samples, seed)
    tensorized = sum(any(f.annotation(TENSORIZED_KEY) for f in collect(s.mod.entry_func().body, For))
                     for s in accepted)
    kernels, cpu = [], 0.0
    for i, sch in enumerate(accepted):
        c0 = time.process_time()
        art = codegen_cuda(sch.mod.entry_func(), "cuda")
        ptx, _ = compile_cuda(art.source, None, f"{name}{i}")
        cpu += time.process_time() - c0
        kernels.append(ptx.count(b".entry"))
    rng = random.Random(seed)
    checked = accepted[:emulate]
    correct = sum(_emulated_ok(func, s, layout, rng.getrandbits(30)) for s in checked)
    mutated = {}
    if mutate and accepted:
        from raytune_ms.mutator import MutateTileSize
        from raytune_ms.testing.mutation import mutated_candidates

        ok, traces = mutated_candidates(ctx, accepted[0].trace, MutateTileSize(), range(mutate))
        mutated = {"mutated": traces, "mutated_accepted": len(ok), "mutated_emulated": len(ok[:emulate]),
                   "mutated_emulator_correct": sum(_emulated_ok(func, s, layout, rng.getrandbits(30))
                                                   for s in ok[:emulate])}
    return {"bench": "tensorcore_fusion", **cpu_info(), "program": name, "shape": [m, n, k], **layout,
            "sampled": samples, "accepted": len(accepted), "tensorized": tensorized,
            "kernels_per_candidate": sorted(set(kernels)), "emulated": len(checked), "emulator_correct": correct,
            "built": len(kernels), "build_cpu_s": round(cpu, 3),
            "kernels_per_cpu_s": round(sum(kernels) / cpu, 2) if cpu else None,
            "candidates_per_cpu_s": round(len(kernels) / cpu, 2) if cpu else None, **mutated}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=8)
    p.add_argument("--emulate", type=int, default=4, help="accepted candidates run in the emulator")
    p.add_argument("--programs", default=",".join(PROGRAMS))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--mutate", type=int, default=0, help="MutateTileSize seeds applied to the first accepted "
                                                          "candidate's trace (its outputs emulated too)")
    args = p.parse_args(argv)
    for name in args.programs.split(","):
        print(json.dumps(run(name, args.samples, args.emulate, args.seed, args.mutate)), flush=True)


if __name__ == "__main__":
    main()
