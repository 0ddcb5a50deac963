"""Postproc: a check or rewrite applied to every sampled schedule before it is measured.
A postprocessor returns False (or raises) to reject the candidate. Whatever it changes, it
changes through schedule primitives, after the trace's EnterPostproc marker, so replaying a
recorded trace reproduces it."""

from __future__ import annotations

import copy

from .. import _registry

#: target family -> postprocessor names, in order
FAMILIES = {
    "llvm": ["disallow-dynamic-loop", "rewrite-parallel-vectorize-unroll", "rewrite-reduction-block",
             "rewrite-layout"],
    "cuda": ["disallow-dynamic-loop", "rewrite-cooperative-fetch", "rewrite-unbound-block",
             "rewrite-parallel-vectorize-unroll", "rewrite-reduction-block", "verify-gpu-code"],
    # the reference's, with RewriteTensorize before VerifyGPUCode: the check generates the code,
    # and fragments are reached only through the intrinsics
    "cuda-tensorcore": ["disallow-dynamic-loop", "rewrite-cooperative-fetch", "rewrite-unbound-block",
                        "rewrite-parallel-vectorize-unroll", "rewrite-reduction-block", "rewrite-tensorize",
                        "verify-gpu-code"],
}


class Postproc(_registry.Registry):
    """A postprocessor; see the module docstring."""

    KINDS = {
        "disallow-dynamic-loop": "raytune_ms.postproc.disallow_dynamic_loop:DisallowDynamicLoop",
        "rewrite-parallel-vectorize-unroll":
            "raytune_ms.postproc.rewrite_parallel_vectorize_unroll:RewriteParallelVectorizeUnroll",
        "rewrite-reduction-block": "raytune_ms.postproc.rewrite_reduction_block:RewriteReductionBlock",
        "rewrite-layout": "raytune_ms.postproc.rewrite_layout:RewriteLayout",
        "verify-gpu-code": "raytune_ms.postproc.verify_gpu_code:VerifyGPUCode",
        "rewrite-cooperative-fetch": "raytune_ms.postproc.rewrite_cooperative_fetch:RewriteCooperativeFetch",
        "rewrite-unbound-block": "raytune_ms.postproc.rewrite_unbound_block:RewriteUnboundBlock",
        "rewrite-tensorize": "raytune_ms.postproc.rewrite_tensorize:RewriteTensorize",
    }
    KIND_NOUN = "postprocessor"

    def _initialize_with_tune_context(self, context) -> None:
        """Read what the postprocessor needs from the task."""

    def apply(self, sch) -> bool:
        raise NotImplementedError

    def clone(self) -> Postproc:
        return copy.deepcopy(self)

    @staticmethod
    def create(kind) -> list:
        """The default postprocessors of a target family ("llvm", "c" is the same; "cuda"), or
        [one postprocessor] of a registered kind, fresh objects."""
        if kind in Postproc.KINDS:
            return [Postproc._create_kind(kind)]
        family = "llvm" if kind == "c" else kind
        if family not in FAMILIES:
            raise ValueError(f"no default postprocessors for {kind!r}; known: {', '.join(sorted(FAMILIES))}")
        return [Postproc._create_kind(name) for name in FAMILIES[family]]


class PyPostproc(Postproc):
    """The base of user postprocessors: override `apply`."""


def create(kind) -> list:
    return Postproc.create(kind)
