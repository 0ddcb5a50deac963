"""Loop kinds: parallel, vectorize, unroll and GPU thread binding (pure PrimFunc -> PrimFunc).

A loop that a block's reduction iterator depends on cannot run its iterations concurrently
(parallel, vectorized, bound to blocks/vthreads): that is a data race on the accumulator. Loops
bound to threadIdx.* may carry a reduction (a cross-thread reduction, which the CUDA code
generator lowers). Vectorized and unrolled loops need a constant extent.
"""

from __future__ import annotations

from ...tir import IntImm
from ...tir.functor import used_vars
from ...tir.stmt import THREAD_TAGS
from ..error import ScheduleError
from ..tree import blocks_in, loop_path, replace_in_func
from .reduction_loops import carries_reduction

_VERB = {"parallel": "parallelize", "vectorized": "vectorize", "unrolled": "unroll",
         "thread_binding": "bind", "serial": "make serial"}


def _check_no_reduction(loop, verb):
    if not carries_reduction(loop):
        return
    var = loop.loop_var
    for realize in blocks_in(loop.body):
        for iv, value in zip(realize.block.iter_vars, realize.iter_values):
            if iv.kind == "reduce" and id(var) in used_vars(value):
                raise ScheduleError(
                    f"cannot {verb} loop {var.name!r}: block {realize.block.name!r} binds its "
                    f"reduction iterator {iv.var.name!r} to it"
                )


def set_loop_kind(func, loop_var, kind, thread_tag=""):
    """The loop `loop_var` with kind `kind` (one of For kinds), after validation."""
    path = loop_path(func, loop_var)
    loop = path[-1]
    verb = _VERB[kind]
    if kind in ("vectorized", "unrolled") and not isinstance(loop.extent, IntImm):
        raise ScheduleError(
            f"cannot {verb} loop {loop_var.name!r}: its extent {loop.extent!r} is not a constant"
        )
    if kind == "thread_binding" and thread_tag not in THREAD_TAGS:
        raise ScheduleError(
            f"cannot bind loop {loop_var.name!r} to {thread_tag!r}: thread axis must be one of "
            f"{', '.join(THREAD_TAGS)}"
        )
    if kind in ("parallel", "vectorized") or (
        kind == "thread_binding" and not thread_tag.startswith("threadIdx")
    ):
        _check_no_reduction(loop, f"{verb} ({thread_tag})" if thread_tag else verb)
    new = loop.replace(kind=kind, thread_tag=thread_tag if kind == "thread_binding" else "")
    return replace_in_func(func, path, new)
