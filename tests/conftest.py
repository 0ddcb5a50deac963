"""Fixtures shared by the test packages."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

BENCH_DIR = pathlib.Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def load_bench():
    """A loader of bench/NAME.py as a module. bench/ is on the path while it loads, as it is
    for a bench run as a script: benches import their sibling scripts."""

    def load(name: str):
        sys.path.insert(0, str(BENCH_DIR))
        try:
            spec = importlib.util.spec_from_file_location(name, BENCH_DIR / f"{name}.py")
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
        finally:
            sys.path.remove(str(BENCH_DIR))

    return load
