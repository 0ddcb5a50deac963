"""The software-pipeline annotations of MultiLevelTilingTensorCore(use_software_pipeline=True):
the loop whose body holds the shared-memory fetches of A and B and then the compute reading
them gets stages [0, 0, 1] (the fetches of iteration k + 1 overlap the compute of k, the shared
tiles double-buffered) in that order, and on sm_80 and newer the fetch stage is async (cp.async).
With `pipeline_stages=S` the compute's stage is S - 1: the fetches run S - 1 iterations ahead,
each shared tile in S copies (with cp.async, S - 1 groups in flight). codegen/cuda_pipeline.py
does the rest."""

from __future__ import annotations

import re

from ..codegen.cuda_pipeline import ASYNC_KEY, ORDER_KEY, STAGE_KEY


def has_async_copy(target) -> bool:
    """cp.async exists from sm_80; a target without an arch is taken as older."""
    m = re.match(r"sm_(\d+)", getattr(target, "arch", None) or "")
    return m is not None and int(m.group(1)) >= 80


def annotate_pipeline(sch, loop, fetches: int, async_copy: bool, stages: int = 2) -> None:
    """`loop`'s body is `fetches` shared-memory fetches followed by the compute that reads them;
    `stages` copies of each fetched tile (the compute `stages - 1` iterations behind)."""
    sch.annotate(loop, STAGE_KEY, [0] * fetches + [stages - 1])
    sch.annotate(loop, ORDER_KEY, list(range(fetches + 1)))
    if async_copy:
        sch.annotate(loop, ASYNC_KEY, [0])
