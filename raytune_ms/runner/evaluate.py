"""What runs inside the measurement child process: load an artifact, run it once (checking its
output against the baseline's, when asked), then time it with the artifact's own C harness.

The child keeps the seeded inputs and the baseline outputs between calls (keyed by argument
shapes, seed and a digest of the baseline), so the baseline runs once per task per child, not
once per candidate; the parent keeps a copy to reinstall in a respawned child.

The parent makes two calls per candidate, first_run then (unless that run says enough)
time_loaded, so it can bound the first run on its own (see Measurer).
"""

from __future__ import annotations

import time

import numpy as np

from .. import _registry
from ..runtime.aligned import aligned_copy

_INPUTS: dict = {}
_BASELINE_OUTPUTS: dict = {}


class WrongResult(AssertionError):
    """The candidate's output differs from the untransformed program's."""


def arg_specs(args_info) -> list[tuple[str, tuple]]:
    """[(dtype, shape)] from ArgInfo objects or their JSON."""
    out = []
    for info in args_info:
        if hasattr(info, "dtype") and hasattr(info, "shape"):
            out.append((str(info.dtype), tuple(int(s) for s in info.shape)))
        else:  # ["TENSOR", dtype, shape]
            out.append((str(info[1]), tuple(int(s) for s in info[2])))
    return out


def arg_layouts(args_info) -> dict:
    """{argument index: IndexMap JSON} of the arguments the kernel takes re-laid out (a weight
    RewriteLayout rewrote; ArgInfo carries the map): the runner converts them before running."""
    out = {}
    for i, info in enumerate(args_info):
        layout = getattr(info, "layout", None) if hasattr(info, "dtype") else (info[3] if len(info) > 3 else None)
        if layout is not None:
            out[i] = layout
    return out


_CONVERTED: dict = {}


def _converted(arrays, specs, seed, layouts) -> list:
    """`arrays` with the re-laid-out arguments converted (each conversion done once)."""
    if not layouts:
        return arrays
    from ..tir.index_map import IndexMap

    out = list(arrays)
    for i, layout in layouts.items():
        key = (tuple(specs), seed, i, layout)
        if key not in _CONVERTED:
            if len(_CONVERTED) > 8:
                _CONVERTED.clear()
            _CONVERTED[key] = IndexMap.from_json(layout).apply_to_array(arrays[i])
        out[i] = aligned_copy(_CONVERTED[key])
    return out


def random_array(rng: np.random.Generator, dtype: str, shape: tuple) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith(("int", "uint")):
        low = 0 if dtype.startswith("uint") else -4
        return rng.integers(low, 5, size=shape).astype(dtype)
    return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)


def seeded_inputs(specs, seed: int) -> list[np.ndarray]:
    """Every parameter filled from `seed` (outputs too: a kernel must not rely on zeros)."""
    key = (tuple(specs), seed)
    if key not in _INPUTS:
        _INPUTS.clear()
        rng = np.random.default_rng(seed)
        _INPUTS[key] = [random_array(rng, dtype, shape) for dtype, shape in specs]
    return _INPUTS[key]


#: device type -> "module:attr" of its load(artifact, specs), for devices other than the CPU
#: (named, not imported: cuda_evaluate itself imports this file)
LOADERS = {"cuda": "raytune_ms.runner.cuda_evaluate:load"}


def load(artifact: bytes, specs, device_type: str = "cpu", arrays=None):
    """The artifact loaded and callable on numpy arrays: a CPU shared object (taking `arrays`'
    shapes when given: re-laid-out arguments), or a CUDA artifact on GPU 0."""
    if device_type in LOADERS:
        return _registry.load(LOADERS[device_type])(artifact, specs)
    if device_type != "cpu":
        raise NotImplementedError(f"measuring {device_type!r} artifacts is not supported "
                                  f"(cpu, {', '.join(LOADERS)})")
    from ..runtime import Module

    shapes = [shape for _, shape in specs] if arrays is None else [a.shape for a in arrays]
    params = [(f"arg{i}", shape, dtype) for i, ((dtype, _), shape) in enumerate(zip(specs, shapes))]
    return Module.from_bytes(artifact, params)


def run_once(module, specs, seed: int) -> list[np.ndarray]:
    arrays = [aligned_copy(a) for a in seeded_inputs(specs, seed)]
    module(*arrays)
    return arrays


def prepare_baseline(baseline, key: str, specs, seed: int, device_type: str = "cpu") -> list:
    """The baseline's outputs on the seeded arguments (every parameter after a correct run),
    kept under `key`. `baseline` is the untransformed program's artifact (bytes) or an object
    with `expected(arrays)` (a SuiteBaseline)."""
    if key not in _BASELINE_OUTPUTS:
        if hasattr(baseline, "expected"):
            _BASELINE_OUTPUTS[key] = baseline.expected([a.copy() for a in seeded_inputs(specs, seed)])
        else:
            _BASELINE_OUTPUTS[key] = run_once(load(baseline, specs, device_type), specs, seed)
    return _BASELINE_OUTPUTS[key]


def install_baseline(key: str, outputs: list) -> None:
    """Baseline outputs computed by an earlier child (this one replaced it after a crash)."""
    _BASELINE_OUTPUTS[key] = outputs


def compare(got: list[np.ndarray], expected: list[np.ndarray], rtol: float, atol: float) -> None:
    for i, (g, e) in enumerate(zip(got, expected)):
        if np.array_equal(g, e):  # the common case for inputs, and cheap
            continue
        if g.dtype == np.bool_ or np.issubdtype(g.dtype, np.integer):
            bad = g != e
        else:
            if g.dtype.itemsize < 4:  # too coarse for the tolerance arithmetic
                g, e = g.astype(np.float64), e.astype(np.float64)
            bad = ~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        count = int(np.count_nonzero(bad))
        if count:
            where = tuple(int(x) for x in np.argwhere(bad)[0])
            raise WrongResult(
                f"wrong result: argument {i} differs from the baseline at "
                f"{count}/{g.size} elements (first at index {where}: got {g[where]!r}, "
                f"expected {e[where]!r}; rtol={rtol:g}, atol={atol:g})"
            )


_LOADED: list = []  # [module, device_type, arrays] of the candidate between first_run and time_loaded


def first_run(artifact: bytes, specs, check=None, baseline_key: str | None = None,
              device_type: str = "cpu", layouts=None) -> float:
    """Load the candidate, run it once (seconds returned) and check its output; it stays loaded
    for `time_loaded`. Raises WrongResult when the check fails.

    `check` is a CorrectnessConfig (or None); the baseline outputs must have been prepared
    under `baseline_key` in this process (see prepare_baseline). `layouts` (see arg_layouts):
    arguments converted from the seeded inputs before the run; being read-only weights, they
    are left out of the comparison.
    """
    _release()
    seed = 0 if check is None else check.seed
    arrays = _converted([aligned_copy(a) for a in seeded_inputs(specs, seed)], specs, seed, layouts)
    module = load(artifact, specs, device_type, arrays)
    _LOADED.append(module)  # released by the next first_run when this one fails its check
    start = time.perf_counter()
    module(*arrays)
    secs = time.perf_counter() - start
    if check is not None and baseline_key is not None:
        keep = [i for i in range(len(arrays)) if i not in (layouts or {})]
        compare([arrays[i] for i in keep], [_BASELINE_OUTPUTS[baseline_key][i] for i in keep],
                check.rtol, check.atol)
    _LOADED.extend([device_type, arrays])
    return secs


def _release() -> None:
    """Unload the candidate of the last first_run (a CUDA module frees its device memory)."""
    if _LOADED and hasattr(_LOADED[0], "close"):
        _LOADED[0].close()
    _LOADED.clear()


def checked_arguments() -> list[np.ndarray]:
    """The arguments the loaded candidate was checked on (after its run; re-laid-out ones as
    it takes them): what the default f_alloc_argument hooks copy."""
    if len(_LOADED) != 3:
        raise RuntimeError("no candidate is loaded (first_run must come first)")
    return _LOADED[2]


def time_loaded(config, hooks) -> list[float]:
    """Per-repeat mean seconds of the candidate `first_run` loaded, through the runner's hooks
    (a runner.hooks.MeasureHooks)."""
    if len(_LOADED) != 3:
        raise RuntimeError("time_loaded: no candidate is loaded (first_run must come first)")
    module, device_type, arrays = _LOADED
    args_info = [["TENSOR", str(a.dtype), list(a.shape)] for a in arrays]
    try:
        return hooks.measure(module, device_type, config, args_info)
    finally:
        _release()
