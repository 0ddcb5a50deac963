"""`raytune-ms space`: print the design spaces of a program, so a user sees what will be
searched. Each space is printed as its replayable Python trace (postprocessing and unused
getters left out, as the search strategies keep it) with its number of sampling decisions.

    raytune-ms space --workload GMM --size small --space matmul
    raytune-ms space --module my_ops.py:fused_matmul        # a function returning a PrimFunc
    raytune-ms space --workload GMM --dtype float16 --target cuda --space cuda-tensorcore --build 8

--build N samples N candidates of the spaces through the postprocessors (as the search draws
them) and builds each for the target (NVRTC for CUDA: no GPU needed), then prints the counts
instead of the traces.

Exit status 2 when the program or the space generator cannot be had (an unknown workload, a
file or function that does not load, a space kind that is not available), 1 when generating
the spaces fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys


class _Unavailable(Exception):
    """The program or the space generator asked for cannot be had (exit status 2)."""


def register(subparsers) -> None:
    from ..tune_cli import SPACE_CHOICES, add_dtype_argument

    p = subparsers.add_parser("space", help="print the design spaces of a program", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    program = p.add_mutually_exclusive_group(required=True)
    program.add_argument("--workload", help="suite workload name (see `raytune-ms workloads --list`)")
    program.add_argument("--module", metavar="FILE.py:FUNC", help="a Python file and a function in it that "
                                                                  "returns a PrimFunc")
    p.add_argument("--size", choices=("small", "standard"), default="standard", help="suite shape set")
    p.add_argument("--space", choices=SPACE_CHOICES, default="post-order-apply",
                   help="space generator: post-order-apply (default), a hand-written one (matmul, conv) or auto "
                        "(as `raytune-ms tune --space auto`)")
    p.add_argument("--target", default="llvm", help='target string, e.g. "llvm -num-cores=8", "cuda"')
    add_dtype_argument(p)
    p.add_argument("--build", type=int, default=0, metavar="N",
                   help="sample N candidates through the postprocessors and build each (no GPU needed)")
    p.add_argument("--seed", type=int, default=1, help="seed of the decisions shown (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object per design space, the trace in the "
                                                       "databases' JSON form")
    p.set_defaults(func=run)


def load_program(args):
    """(name, PrimFunc or IRModule) of --workload or --module."""
    if args.workload is not None:
        from ..tune_cli import workload_dtype
        from ..workloads.suite import SUITE, get

        if args.workload not in SUITE:
            raise _Unavailable(f"unknown workload {args.workload!r}; known: {', '.join(SUITE)}")
        try:
            return args.workload, get(args.workload, args.size, workload_dtype(args)).func
        except ValueError as err:
            raise _Unavailable(str(err)) from err
    path, sep, func_name = args.module.rpartition(":")
    if not sep or not path or not func_name:
        raise _Unavailable(f"--module must be FILE.py:FUNC, got {args.module!r}")
    if not os.path.isfile(path):
        raise _Unavailable(f"--module: no file {path!r}")
    spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # the user's file: report why it does not load
        raise _Unavailable(f"--module: loading {path!r} failed: {type(err).__name__}: {err}") from err
    fn = getattr(module, func_name, None)
    if not callable(fn):
        raise _Unavailable(f"--module: {path!r} has no function {func_name!r}")
    try:
        program = fn()
    except Exception as err:  # the user's function: report why it fails
        raise _Unavailable(f"--module: {func_name}() failed: {type(err).__name__}: {err}") from err
    from ..tir import IRModule, PrimFunc

    if not isinstance(program, (PrimFunc, IRModule)):
        raise _Unavailable(f"--module: {func_name}() returned a {type(program).__name__}, not a PrimFunc")
    return func_name, program


def tune_context(program, space: str, workload: str | None, target: str, seed: int):
    """The TuneContext of `program` on `target` with the space generator `space` names."""
    from ..cli_error import CommandError
    from ..target import Target
    from ..tune_cli import check_space_target, resolve_space
    from ..tune_context import TuneContext
    from .space_generator import SpaceGenerator

    try:
        check_space_target(space, Target(target))
        generator = SpaceGenerator.create(resolve_space(space, workload))
    except (ImportError, ValueError, CommandError) as err:
        raise _Unavailable(str(err)) from err
    return TuneContext(program, target=target, space_generator=generator, rand_state=seed)


def design_spaces(program, space: str, workload: str | None, target: str, seed: int) -> list:
    """The design spaces (Schedules) that `space` generates for `program` on `target`."""
    return tune_context(program, space, workload, target, seed).generate_design_space()


def sample_and_build(ctx, n: int, seed: int) -> dict:
    """Counts of n candidates drawn through the postprocessors and built for ctx's target:
    accepted, built, build errors (the first one's message), kernels per second of build
    time, and how many carry tensorized loops (tensor-core intrinsics)."""
    import time

    from ..codegen import build
    from ..testing.design_spaces import replays
    from ..tir import For, collect
    from ..tir.tensor_intrin import TENSORIZED_KEY

    accepted, rejected = replays(ctx, n, seed)
    built = kernels = tensorized = 0
    errors = []
    start = time.process_time()
    for sch in accepted:
        loops = collect(sch.mod.entry_func().body, For)
        tensorized += any(f.annotation(TENSORIZED_KEY) for f in loops)
        try:
            art = build(sch.mod, ctx.target)
        except Exception as err:  # a candidate that does not build: counted, the first one shown
            errors.append(f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
            continue
        built += 1
        kernels += len(getattr(art, "kernels", None) or [None])
    secs = time.process_time() - start
    return {"sampled": n, "accepted": len(accepted), "rejected": rejected, "built": built,
            "build_errors": len(errors), "first_error": errors[0] if errors else None,
            "tensorized": tensorized, "kernels": kernels, "build_cpu_s": round(secs, 3),
            "kernels_per_s": round(kernels / secs, 3) if secs > 0 else None}


def run(args) -> int:
    name = args.workload or args.module
    try:
        if args.build < 0:
            raise _Unavailable(f"--build must be >= 0, got {args.build}")
        name, program = load_program(args)
        ctx = tune_context(program, args.space, args.workload, args.target, args.seed)
        if args.build:
            counts = {"program": name, "space": args.space, "target": args.target,
                      **sample_and_build(ctx, args.build, args.seed)}
            print(json.dumps(counts) if args.json else
                  ", ".join(f"{k}={v}" for k, v in counts.items()))
            return 0 if counts["built"] else 1
        spaces = ctx.generate_design_space()
    except _Unavailable as err:
        print(f"raytune-ms space: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a generator that fails on this program: say so in one line
        print(f"raytune-ms space: error: generating the {args.space} spaces of {name} failed: "
              f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    traces = [sch.trace.simplified(remove_postproc=True) for sch in spaces]
    if args.json:
        for i, trace in enumerate(traces):
            print(json.dumps({"program": name, "space": i, "num_decisions": len(trace.decisions),
                              "trace": trace.as_json()}))
        return 0
    print(f"# {name}: {len(traces)} design space(s) from {args.space!r} for target {args.target!r}")
    for i, trace in enumerate(traces):
        print(f"\n# design space {i}: {len(trace.decisions)} sampling decision(s), {len(trace)} instructions")
        print("\n".join(trace.as_python()))
    return 0
