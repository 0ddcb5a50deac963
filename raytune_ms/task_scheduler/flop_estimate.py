"""Kept only for task_scheduler.py's import until it imports raytune_ms.tir.estimate_flops."""

from ..tir.flop_estimate import estimate_flops

__all__ = ["estimate_flops"]
