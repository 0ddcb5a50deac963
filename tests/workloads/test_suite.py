"""The suite's registry: names, shapes, FLOP counts, inputs, block structure, comparisons."""

import numpy as np
import pytest

from raytune_ms import te, tir, workloads
from raytune_ms.testing import block_names

EXPECTED_NAMES = ["C1D", "C2D", "C3D", "CAP", "DEP", "DIL", "GMM", "GMM-1024", "GRP", "T2D", "CBR",
                  "TBG", "NRM", "SFM", "GEMV", "LN", "BMM"]


def test_names():
    assert workloads.names() == EXPECTED_NAMES


def test_unknown_name_and_size():
    with pytest.raises(KeyError, match="unknown workload 'XYZ'"):
        workloads.get("XYZ")
    with pytest.raises(ValueError, match="size must be one of"):
        workloads.get("GMM", "huge")


STANDARD_SHAPES = {
    "C1D": [(1, 256, 64), (3, 64, 128), (1, 128, 128)],
    "C2D": [(1, 224, 224, 3), (7, 7, 3, 64), (1, 112, 112, 64)],
    "C3D": [(1, 16, 224, 224, 3), (7, 7, 7, 3, 64), (1, 8, 112, 112, 64)],
    "CAP": [(1, 16, 16, 4, 4, 32), (3, 3, 4, 4, 32, 32), (1, 8, 8, 4, 4, 32)],
    "DEP": [(1, 112, 112, 32), (3, 3, 32), (1, 112, 112, 32)],
    "DIL": [(1, 224, 224, 3), (7, 7, 3, 64), (1, 109, 109, 64)],
    "GMM": [(1, 128, 128), (1, 128, 128), (1, 128, 128)],
    "GMM-1024": [(1, 1024, 1024), (1, 1024, 1024), (1, 1024, 1024)],
    "GRP": [(1, 56, 56, 64), (3, 3, 16, 128), (1, 28, 28, 128)],
    "T2D": [(1, 4, 4, 512), (4, 4, 512, 256), (1, 8, 8, 256)],
    "CBR": [(1, 224, 224, 3), (7, 7, 3, 64), (64,), (64,), (64,), (1, 112, 112, 64)],
    "TBG": [(1, 128, 12, 64), (1, 128, 12, 64), (1, 12, 128, 128)],
    "NRM": [(1, 256, 256), (1,)],
    "SFM": [(256, 256), (256, 256)],
    "GEMV": [(1, 4096), (4096, 4096), (1, 4096)],
    "LN": [(512, 768), (768,), (768,), (512, 768)],
    "BMM": [(12, 128, 64), (12, 64, 128), (12, 128, 128)],
}


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_standard_shapes(name):
    wl = workloads.get(name, "standard")
    assert [p.shape for p in wl.func.params] == STANDARD_SHAPES[name]
    assert all(p.dtype == "float32" for p in wl.func.params)
    assert (wl.name, wl.size, wl.num_outputs) == (name, "standard", 1)
    assert wl.func.name == "main"


STANDARD_FLOPS = {
    "C1D": 2 * 128 * 128 * 3 * 64,
    "C2D": 2 * 112 * 112 * 64 * 7 * 7 * 3,
    "C3D": 2 * 8 * 112 * 112 * 64 * 7 * 7 * 7 * 3,
    "CAP": 2 * 8 * 8 * 4 * 4 * 32 * 3 * 3 * 4 * 32,
    "DEP": 2 * 112 * 112 * 32 * 3 * 3,
    "DIL": 2 * 109 * 109 * 64 * 7 * 7 * 3,
    "GMM": 2 * 128**3,
    "GMM-1024": 2 * 1024**3,
    "GRP": 2 * 28 * 28 * 128 * 3 * 3 * 16,
    # each of the 4 input rows meets 3 or 4 of the 4 kernel rows inside the 8 output rows: 14
    "T2D": 2 * 14 * 14 * 512 * 256,
    "CBR": 2 * 112 * 112 * 64 * 7 * 7 * 3 + 4 * 112 * 112 * 64,
    "TBG": 2 * 12 * 128 * 128 * 64,
    "NRM": 2 * 256 * 256 + 1,
    "SFM": 5 * 256 * 256,
    "GEMV": 2 * 4096 * 4096,
    "LN": 10 * 512 * 768,
    "BMM": 2 * 12 * 128 * 128 * 64,
}


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_flops(name):
    assert workloads.get(name, "standard").flops == STANDARD_FLOPS[name]
    assert 0 < workloads.get(name, "small").flops < workloads.get(name, "standard").flops


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_small_sizes_keep_the_block_structure(name):
    small, standard = workloads.get(name, "small"), workloads.get(name, "standard")
    assert block_names(small.func) == block_names(standard.func)
    kinds = lambda f: [[iv.kind for iv in b.iter_vars] for b in tir.collect(f.body, tir.Block)]
    assert kinds(small.func) == kinds(standard.func)
    # every small kernel is tiny: under ~1 MFLOP
    assert small.flops < 1_000_000


def test_small_sizes_keep_stride_padding_groups_dilation():
    for name in ("C1D", "C2D", "C3D", "CAP", "DEP", "DIL", "GRP", "T2D", "CBR"):
        small, standard = workloads.config(name, "small"), workloads.config(name, "standard")
        for key in ("K", "stride", "padding", "dilation", "groups", "capsule"):
            assert small.get(key) == standard.get(key), (name, key)


EXPECTED_BLOCKS = {
    "CBR": ["pad_temp", "conv2d_nhwc", "bias_add", "bn", "relu"],
    "SFM": ["T_softmax_maxelem", "T_softmax_exp", "T_softmax_expsum", "T_softmax_norm"],
    "LN": ["mean", "var", "T_layer_norm"],
    "NRM": ["sq_sum", "norm"],
    "TBG": ["query_T", "key_T", "T_batch_matmul"],
    "T2D": ["pad_temp", "conv2d_transpose_nhwc"],
    "GMM": ["C"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_BLOCKS))
def test_block_structure(name):
    assert block_names(workloads.get(name, "small").func) == EXPECTED_BLOCKS[name]


@pytest.mark.parametrize("name", ["C1D", "C2D", "C3D", "CAP", "DEP", "DIL", "GRP", "CBR"])
def test_convolutions_pad_in_their_own_block(name):
    func = workloads.get(name, "small").func
    pad = tir.collect(func.body, tir.Block)[1]
    assert pad.name == "pad_temp" and isinstance(pad.body.value, tir.Select)
    assert [b.name for b in func.body.block.alloc_buffers][0] == "pad_temp"


def test_make_inputs():
    wl = workloads.get("CBR", "small")
    arrays = wl.make_inputs(seed=3)
    assert [a.shape for a in arrays] == [p.shape for p in wl.func.params]
    assert all(a.dtype == np.float32 for a in arrays)
    assert not arrays[-1].any() and arrays[0].any()
    assert all((np.abs(a) <= 1).all() for a in arrays)
    again = wl.make_inputs(seed=3)
    assert all((a == b).all() for a, b in zip(arrays, again))
    assert not (wl.make_inputs(seed=4)[0] == arrays[0]).all()


def test_make_inputs_integer_params():
    from raytune_ms.workloads.workload import Workload

    A = te.placeholder((3, 4), dtype="int32", name="A")
    B = te.compute((3, 4), lambda i, j: A[i, j] * 2, name="B")
    wl = Workload("twice", "small", te.create_prim_func([A, B]), 12, lambda a: [a * 2])
    a, b = wl.make_inputs()
    assert a.dtype == np.int32 and ((a >= -4) & (a <= 4)).all() and b.dtype == np.int32
    b[:] = a * 2
    assert wl.compare([a, b]) == (True, 0.0)


def test_reference_accepts_inputs_or_all_params():
    wl = workloads.get("GMM", "small")
    arrays = wl.make_inputs()
    (a,) = wl.reference(*arrays)
    (b,) = wl.reference(*arrays[:2])
    assert a.dtype == np.float32 and (a == b).all()
    np.testing.assert_allclose(a, arrays[0] @ arrays[1], rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="reference takes the 2 inputs"):
        wl.reference(arrays[0])


def test_compare():
    wl = workloads.get("GMM", "small")
    arrays = wl.make_inputs()
    arrays[-1][:] = wl.reference(*arrays)[0]
    assert wl.compare(arrays) == (True, 0.0)
    arrays[-1][0, 0, 0] += 0.5
    correct, err = wl.compare(arrays)
    assert not correct and err == pytest.approx(0.5, rel=1e-5)
    arrays[-1][0, 0, 0] = np.nan
    assert wl.compare(arrays) == (False, float("inf"))


def test_fresh_function_each_get():
    a, b = workloads.get("C2D", "small").func, workloads.get("C2D", "small").func
    assert a is not b and tir.structural_equal(a, b)


@pytest.mark.parametrize("name", workloads.names())
def test_reference_output_shapes_match_the_function(name):
    wl = workloads.get(name, "small")
    outs = wl.reference(*wl.make_inputs())
    assert [o.shape for o in outs] == [p.shape for p in wl.func.params[wl.num_inputs:]]
    assert all(np.isfinite(o).all() for o in outs)
