"""A tuning task extracted from a model: one kernel, and how many times the model runs it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ExtractedTask:
    """`mod` (an IRModule with "main") tuned for `target`; `weight` counts the model's kernels that
    are this one (structurally equal), so a task scheduler can weigh its latency."""

    task_name: str
    mod: object
    target: object
    dispatched: list = field(default_factory=list)
    weight: int = 1
