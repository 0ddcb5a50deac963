"""Fixtures shared by the test packages."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

BENCH_DIR = pathlib.Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="session")
def load_bench():
    """A loader of bench/NAME.py (NAME may name a subfolder: "tvm_compare/compare") as a
    module. The script's folder is on the path while it loads, as it is for a bench run as a
    script: benches import their sibling scripts. Session-wide (it holds no state), so that a
    module's own fixture can load its bench once."""

    def load(name: str):
        path = BENCH_DIR / f"{name}.py"
        folder = str(path.parent)
        sys.path.insert(0, folder)
        try:
            spec = importlib.util.spec_from_file_location(name.replace("/", "_"), path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod
        finally:
            sys.path.remove(folder)

    return load
