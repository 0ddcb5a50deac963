"""The software-pipeline annotations of MultiLevelTilingTensorCore(use_software_pipeline=True):
the loop whose body holds the shared-memory fetches of A and B and then the compute reading
them gets stages [0, 0, 1] (the fetches of iteration k + 1 overlap the compute of k, the shared
tiles double-buffered) in that order, and on sm_80 and newer the fetch stage is async (cp.async).
codegen/cuda_pipeline.py does the rest."""

from __future__ import annotations

import re

from ..codegen.cuda_pipeline import ASYNC_KEY, ORDER_KEY, STAGE_KEY

PIPELINE_BUFFERS = 2  # copies of each shared tile the stages [0, 0, 1] need (the tile bound divides by it)


def has_async_copy(target) -> bool:
    """cp.async exists from sm_80; a target without an arch is taken as older."""
    m = re.match(r"sm_(\d+)", getattr(target, "arch", None) or "")
    return m is not None and int(m.group(1)) >= 80


def annotate_pipeline(sch, loop, fetches: int, async_copy: bool) -> None:
    """`loop`'s body is `fetches` shared-memory fetches followed by the compute that reads them."""
    sch.annotate(loop, STAGE_KEY, [0] * fetches + [1])
    sch.annotate(loop, ORDER_KEY, list(range(fetches + 1)))
    if async_copy:
        sch.annotate(loop, ASYNC_KEY, [0])
