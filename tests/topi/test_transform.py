"""Layout operators (reshape/view, flatten, squeeze/unsqueeze, permute, transpose, expand, cat,
strided slice, select, pad) and the embedding lookup, against numpy and torch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from raytune_ms import te, topi
from raytune_ms.testing.operators import check, placeholders, rand
from raytune_ms.topi import testing as ref
from raytune_ms.topi.testing import run_te


@pytest.mark.parametrize("shape", [(6, 4), (2, -1, 3), (24,), (1, 2, 3, 4, 1)])
def test_reshape(shape):
    check(topi.reshape, ref.reshape, lambda x: x.reshape(shape), rand(2, 3, 4), shape=shape)


def test_view_flatten_squeeze_unsqueeze():
    x = rand(2, 1, 3, 4)
    check(topi.view, ref.view, lambda x: x.view(6, 4), x, shape=(6, 4))
    check(topi.reshape, ref.reshape, lambda x: x.reshape(24), x, shape=24)
    check(topi.flatten, ref.flatten, lambda x: torch.flatten(x, 1), x, start_dim=1)
    check(topi.flatten, ref.flatten, lambda x: torch.flatten(x, 1, 2), x, start_dim=1, end_dim=2)
    check(topi.squeeze, ref.squeeze, torch.squeeze, x)
    check(topi.squeeze, ref.squeeze, lambda x: torch.squeeze(x, 2), x, axis=2)  # size 3: kept, as torch
    check(topi.unsqueeze, ref.unsqueeze, lambda x: torch.unsqueeze(x, -1), x, axis=-1)


@pytest.mark.parametrize("dims", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, 1)])
def test_permute(dims):
    check(topi.permute, ref.permute, lambda x: x.permute(*dims), rand(2, 3, 4), dims=dims)


def test_transpose():
    x = rand(2, 3, 4)
    check(topi.transpose, ref.transpose, lambda x: x.transpose(0, 2), x, dim0=0, dim1=2)
    check(topi.transpose, ref.transpose, lambda x: x.transpose(-1, -2), x)


@pytest.mark.parametrize("shape, sizes", [((3, 1), (3, 4)), ((1, 4), (2, 5, -1)), ((2, 1, 1), (2, 3, 2))])
def test_expand(shape, sizes):
    check(topi.expand, ref.expand, lambda x: x.expand(*sizes), rand(*shape), sizes=sizes)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat(axis):
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for k, s in enumerate(shapes):
        s[axis] = k + 1
    arrays = [rand(*s, seed=k) for k, s in enumerate(shapes)]
    check(lambda *ts: topi.cat(ts, axis), lambda *xs: ref.cat(xs, axis), lambda *ts: torch.cat(ts, axis), *arrays)


@pytest.mark.parametrize(
    "axis, start, end, step",
    [(0, 1, 3, 1), (1, None, None, 2), (-1, -3, None, 1), (2, 1, 100, 3), (1, -100, -1, 2), (0, 0, 1, 1)],
)
def test_slice(axis, start, end, step):
    x = rand(4, 5, 7)

    def torch_slice(t):
        idx = [slice(None)] * 3
        idx[axis] = slice(start, end, step)
        return t[tuple(idx)]

    check(topi.slice, ref.slice, torch_slice, x, axis=axis, start=start, end=end, step=step)


def test_select_and_pad():
    x = rand(3, 4, 5)
    check(topi.select, ref.select, lambda t: t.select(1, -1), x, axis=1, index=-1)
    check(topi.pad, ref.pad, lambda t: F.pad(t, (2, 0, 0, 1, 1, 1), value=0.5), x,
          before=(1, 0, 2), after=(1, 1, 0), value=0.5)


def test_embedding():
    weight = rand(10, 6)
    idx = np.array([[0, 9, 3], [3, 3, 7]], dtype="int64")
    w, i = placeholders(weight, idx)
    (got,) = run_te([w, i], [topi.embedding(w, i)], [weight, idx])
    np.testing.assert_array_equal(got, ref.embedding(weight, idx))
    np.testing.assert_array_equal(got, F.embedding(torch.from_numpy(idx), torch.from_numpy(weight)).numpy())


def test_errors():
    x = te.placeholder((2, 3, 4), name="x")
    with pytest.raises(ValueError, match=r"reshape 'x': shape \(2, 3, 4\) \(24 elements\) cannot become \(5, 5\)"):
        topi.reshape(x, (5, 5))
    with pytest.raises(ValueError, match="reshape 'x': at most one -1"):
        topi.reshape(x, (-1, -1))
    with pytest.raises(ValueError, match="permute 'x': dims .* are not a permutation"):
        topi.permute(x, (0, 0, 1))
    with pytest.raises(ValueError, match="expand 'x': dimension 1 has size 3, cannot expand it to 5"):
        topi.expand(x, (2, 5, 4))
    with pytest.raises(ValueError, match=r"cat: 'y' has shape \(2, 5, 4\), 'x' has \(2, 3, 4\); they may differ only "
                                         r"in dimension 2"):
        topi.cat([x, te.placeholder((2, 5, 4), name="y")], axis=2)
    with pytest.raises(ValueError, match="slice 'x': .* is empty"):
        topi.slice(x, 1, 2, 1)
    with pytest.raises(ValueError, match="slice 'x': step must be a positive int"):
        topi.slice(x, 1, 0, 3, -1)
    with pytest.raises(TypeError, match="embedding: indices 'x' must be an integer tensor"):
        topi.embedding(te.placeholder((4, 2), name="w"), x)
