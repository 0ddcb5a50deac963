"""`raytune-ms space`: print the design spaces of a program, so a user sees what will be
searched. Each space is printed as its replayable Python trace (postprocessing and unused
getters left out, as the search strategies keep it) with its number of sampling decisions.

    raytune-ms space --workload GMM --size small --space matmul
    raytune-ms space --module my_ops.py:fused_matmul        # a function returning a PrimFunc

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
    from ..tune_cli import SPACE_CHOICES

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
    p.add_argument("--target", default="llvm", help='target string, e.g. "llvm -num-cores=8"')
    p.add_argument("--seed", type=int, default=1, help="seed of the decisions shown (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object per design space, the trace in the "
                                                       "databases' JSON form")
    p.set_defaults(func=run)


def load_program(args):
    """(name, PrimFunc or IRModule) of --workload or --module."""
    if args.workload is not None:
        from ..workloads.suite import SUITE, get

        if args.workload not in SUITE:
            raise _Unavailable(f"unknown workload {args.workload!r}; known: {', '.join(SUITE)}")
        return args.workload, get(args.workload, args.size).func
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


def design_spaces(program, space: str, workload: str | None, target: str, seed: int) -> list:
    """The design spaces (Schedules) that `space` generates for `program` on `target`."""
    from ..tune_cli import resolve_space
    from ..tune_context import TuneContext
    from .space_generator import SpaceGenerator

    try:
        generator = SpaceGenerator.create(resolve_space(space, workload))
    except (ImportError, ValueError) as err:
        raise _Unavailable(str(err)) from err
    return TuneContext(program, target=target, space_generator=generator, rand_state=seed).generate_design_space()


def run(args) -> int:
    name = args.workload or args.module
    try:
        name, program = load_program(args)
        spaces = design_spaces(program, args.space, args.workload, args.target, args.seed)
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
