"""Soak: apply every default mutator to the design spaces of suite workloads, many seeds each,
and count what comes back.

Per workload and mutator: how many mutations were tried, how many returned a trace (a trace
that replays: the mutators check), how many of those the postprocessors accept, how many
distinct programs that gives, and of a few distinct programs built, how many match numpy.

Prints one JSON line per workload: {"workload", "size", "spaces", "seconds", "mutators":
{name: {"tried", "returned", "accepted", "distinct", "built", "correct"}}}.
Usage: python bench/mutator_soak.py [--size small] [--seeds 10] [--builds 2] [--space post-order-apply]
       [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import time

from raytune_ms import tir, workloads
from raytune_ms.codegen import build
from raytune_ms.schedule import Schedule
from raytune_ms.tune_cli import SPACE_CHOICES, resolve_space
from raytune_ms.tune_context import TuneContext


def soak(name, size, space, seeds, builds) -> dict:
    start = time.time()
    wl = workloads.get(name, size)
    ctx = TuneContext(wl.func, target="llvm", space_generator=resolve_space(space, name), rand_state=1)
    spaces = ctx.generate_design_space()
    row = {"workload": name, "size": size, "spaces": len(spaces), "mutators": {}}
    for mutator in ctx.space_generator.mutator_probs:
        counts = dict.fromkeys(("tried", "returned", "accepted", "distinct", "built", "correct"), 0)
        programs = {}
        for sch in spaces:
            for seed in range(seeds):
                counts["tried"] += 1
                out = mutator.apply(sch.trace, seed)
                if out is None:
                    continue
                counts["returned"] += 1
                mutated = Schedule(wl.func, seed=0)
                out.apply_to_schedule(mutated, remove_postproc=True)
                if all(p.apply(mutated) for p in ctx.postprocs):
                    counts["accepted"] += 1
                    programs.setdefault(tir.structural_hash(mutated.mod), mutated)
        counts["distinct"] = len(programs)
        for mutated in list(programs.values())[:builds]:
            arrays = wl.make_inputs(seed=1)
            build(mutated.mod, "llvm")(*arrays)
            counts["built"] += 1
            counts["correct"] += bool(wl.compare(arrays)[0])
        row["mutators"][type(mutator).__name__] = counts
    row["seconds"] = round(time.time() - start, 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=("small", "standard"), default="small")
    parser.add_argument("--seeds", type=int, default=10, help="mutations per design space and mutator")
    parser.add_argument("--builds", type=int, default=2, help="distinct programs built per mutator")
    parser.add_argument("--space", choices=SPACE_CHOICES, default="post-order-apply")
    parser.add_argument("names", nargs="*", help="workloads (default: the whole suite)")
    args = parser.parse_args()
    for name in args.names or workloads.names():
        print(json.dumps(soak(name, args.size, args.space, args.seeds, args.builds)), flush=True)


if __name__ == "__main__":
    main()
