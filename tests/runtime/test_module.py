"""Module: argument validation, build errors, the timing harness, and travel between processes."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

import raytune_ms as ms
from raytune_ms import te, tir
from raytune_ms.codegen import build_artifact, params_of
from raytune_ms.runtime import BuildError, Module, compile_c
from raytune_ms.target import Target


def _add():
    A = te.placeholder((4, 8), name="A")
    B = te.placeholder((4, 8), name="B")
    C = te.compute((4, 8), lambda i, j: A[i, j] + B[i, j], name="C")
    return te.create_prim_func([A, B, C])


@pytest.fixture(scope="module")
def add_mod():
    return ms.build(_add())


def _arrays():
    a = np.arange(32, dtype="float32").reshape(4, 8)
    return a, a * 2, np.zeros((4, 8), "float32")


def test_call_and_source(add_mod):
    a, b, c = _arrays()
    add_mod(a, b, c)
    np.testing.assert_array_equal(c, a * 3)
    assert "int32_t fn_main(void** args)" in add_mod.source
    assert add_mod.so_bytes[:4] == b"\x7fELF"


@pytest.mark.parametrize("mutate, err, words", [
    (lambda a, b, c: (a, b), TypeError, "takes 3 arrays"),
    (lambda a, b, c: (a, b, c, c), TypeError, "takes 3 arrays"),
    (lambda a, b, c: (a, b.astype("float64"), c), TypeError, "'B' needs dtype float32"),
    (lambda a, b, c: (a, b, c[:2]), ValueError, r"'C' needs shape \(4, 8\)"),
    (lambda a, b, c: (np.asfortranarray(a), b, c), ValueError, "'A' must be C-contiguous"),
    (lambda a, b, c: (a, [1.0], c), TypeError, "'B': expected a numpy array"),
])
def test_call_validation_names_the_parameter(add_mod, mutate, err, words):
    with pytest.raises(err, match=words):
        add_mod(*mutate(*_arrays()))


def test_build_error_names_function_and_line():
    src = "#include <stdint.h>\nint32_t kern(void** args) {\n  return undefined_thing + 1;\n}\n"
    with pytest.raises(BuildError) as info:
        compile_c(src, Target("llvm"), "my_kernel")
    msg = str(info.value)
    assert "'my_kernel'" in msg and "undefined_thing" in msg
    assert ">>     3 |   return undefined_thing + 1;" in msg


def test_build_rejects_multi_function_module():
    mod = tir.IRModule({"a": _add(), "b": _add()})
    with pytest.raises(ValueError, match=r"\['a', 'b'\]"):
        ms.build(mod)
    assert ms.build(tir.IRModule({"only": _add()})).symbol == "fn_main"


def _counter():
    """Each call adds one to N[0]: counts how often the harness ran the kernel."""
    n = tir.Buffer("N", (1,), "int64")
    root = tir.Block("root", [], [], [], tir.BufferStore(n, n[0] + tir.const(1, "int64"), [0]))
    return tir.PrimFunc([n], tir.BlockRealize([], True, root), {"global_symbol": "count"})


def test_timing_respects_number_and_repeat():
    mod = ms.build(_counter())
    count = np.zeros(1, "int64")
    secs = mod.time(count, number=5, repeat=3, min_repeat_ms=0)
    assert len(secs) == 3 and all(s > 0 for s in secs)
    assert count[0] == 1 + 5 * 3  # one warm-up call, then number x repeat


def test_timing_grows_number_to_min_repeat_ms():
    mod = ms.build(_counter())
    count = np.zeros(1, "int64")
    secs = mod.time(count, number=1, repeat=2, min_repeat_ms=5)
    assert count[0] > 100 and len(secs) == 2 and all(0 < s < 1e-3 for s in secs)


def test_timing_with_cache_flush(add_mod):
    secs = add_mod.time(*_arrays(), number=2, repeat=2, enable_cpu_cache_flush=True, min_repeat_ms=0)
    assert len(secs) == 2 and all(s > 0 for s in secs)
    with pytest.raises(ValueError, match="repeat"):
        add_mod.time(*_arrays(), repeat=0)


def test_from_bytes_in_another_process(tmp_path):
    f = _add()
    so = build_artifact(f, "llvm")
    mod = Module.from_bytes(so, params_of(f))  # the symbol comes from the artifact
    a, b, c = _arrays()
    mod(a, b, c)
    np.testing.assert_array_equal(c, a * 3)
    path = tmp_path / "mod.pkl"
    path.write_bytes(pickle.dumps(mod))
    code = (
        "import pickle, numpy as np, sys\n"
        f"m = pickle.load(open({str(path)!r}, 'rb'))\n"
        "a = np.ones((4, 8), 'float32'); c = np.zeros((4, 8), 'float32')\n"
        "m(a, a, c); print(float(c.sum()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "64.0"
