"""Postprocessors (only VerifyGPUCode on this branch; the package base comes with the design space)."""

from .verify_gpu_code import VerifyGPUCode, check

__all__ = ["VerifyGPUCode", "check"]
