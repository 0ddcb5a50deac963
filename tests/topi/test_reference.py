"""The numpy references, checked against torch and against naive loops on tiny shapes, so a
reference cannot share a bug with the te definitions it judges."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from raytune_ms.topi import reference as ref


def rand(rng, *shape):
    return rng.uniform(-1, 1, shape)


def t(x):
    return torch.from_numpy(np.asarray(x, np.float64))


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 1, 1), (3, 2, 2, 1), (2, 1, 1, 2)])
def test_conv1d(stride, padding, dilation, groups):
    rng = np.random.default_rng(0)
    x, w = rand(rng, 2, 11, 4), rand(rng, 3, 4 // groups, 6)
    got = ref.conv1d_nlc(x, w, N=2, L=11, CI=4, CO=6, K=3, stride=stride, padding=padding,
                         dilation=dilation, groups=groups)[0]
    want = F.conv1d(t(x).permute(0, 2, 1), t(w).permute(2, 1, 0), stride=stride, padding=padding,
                    dilation=dilation, groups=groups).permute(0, 2, 1)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride, padding, dilation, groups",
                         [(1, 1, 1, 1), (2, 3, 1, 1), (2, 3, 2, 1), (2, 1, 1, 4), (1, 0, 2, 2)])
def test_conv2d(stride, padding, dilation, groups):
    rng = np.random.default_rng(1)
    x, w = rand(rng, 1, 13, 10, 8), rand(rng, 3, 3, 8 // groups, 12)
    got = ref.conv2d_nhwc(x, w, N=1, H=13, W=10, CI=8, CO=12, K=3, stride=stride, padding=padding,
                          dilation=dilation, groups=groups)[0]
    want = F.conv2d(t(x).permute(0, 3, 1, 2), t(w).permute(3, 2, 0, 1), stride=stride, padding=padding,
                    dilation=dilation, groups=groups).permute(0, 2, 3, 1)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)


def test_conv3d():
    rng = np.random.default_rng(2)
    x, w = rand(rng, 1, 6, 7, 8, 3), rand(rng, 3, 3, 3, 3, 5)
    got = ref.conv3d_ndhwc(x, w, N=1, D=6, H=7, W=8, CI=3, CO=5, K=3, stride=2, padding=1)[0]
    want = F.conv3d(t(x).permute(0, 4, 1, 2, 3), t(w).permute(4, 3, 0, 1, 2), stride=2, padding=1)
    np.testing.assert_allclose(got, want.permute(0, 2, 3, 4, 1).numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, 0), (2, 2)])
def test_depthwise(stride, padding):
    rng = np.random.default_rng(3)
    x, w = rand(rng, 1, 9, 9, 5), rand(rng, 3, 3, 5)
    got = ref.depthwise_conv2d_nhwc(x, w, N=1, H=9, W=9, C=5, K=3, stride=stride, padding=padding)[0]
    want = F.conv2d(t(x).permute(0, 3, 1, 2), t(w).permute(2, 0, 1)[:, None], stride=stride,
                    padding=padding, groups=5).permute(0, 2, 3, 1)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("K, stride, padding", [(4, 2, 1), (3, 1, 0), (3, 2, 1), (5, 3, 2), (4, 2, 0)])
def test_conv2d_transpose(K, stride, padding):
    rng = np.random.default_rng(4)
    x, w = rand(rng, 1, 4, 5, 6), rand(rng, K, K, 6, 3)
    got = ref.conv2d_transpose_nhwc(x, w, N=1, H=4, W=5, CI=6, CO=3, K=K, stride=stride, padding=padding)[0]
    want = F.conv_transpose2d(t(x).permute(0, 3, 1, 2), t(w).permute(2, 3, 0, 1), stride=stride,
                              padding=padding).permute(0, 2, 3, 1)
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)


def test_capsule_against_naive_loops():
    rng = np.random.default_rng(5)
    N, H, W, cap, CI, CO, K, s, p = 1, 5, 4, 2, 3, 2, 3, 2, 1
    x, w = rand(rng, N, H, W, cap, cap, CI), rand(rng, K, K, cap, cap, CI, CO)
    got = ref.conv2d_capsule_nhwijc(x, w, N=N, H=H, W=W, CI=CI, CO=CO, K=K, stride=s, padding=p, capsule=cap)[0]
    oh, ow = (H + 2 * p - K) // s + 1, (W + 2 * p - K) // s + 1
    want = np.zeros((N, oh, ow, cap, cap, CO))
    for n, h, wi, i, j, co in itertools.product(range(N), range(oh), range(ow), range(cap), range(cap), range(CO)):
        acc = 0.0
        for kh, kw, k, c in itertools.product(range(K), range(K), range(cap), range(CI)):
            y, z = h * s - p + kh, wi * s - p + kw
            if 0 <= y < H and 0 <= z < W:
                acc += x[n, y, z, i, k, c] * w[kh, kw, k, j, c, co]
        want[n, h, wi, i, j, co] = acc
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_conv_nd_against_direct_formula():
    rng = np.random.default_rng(6)
    x, w = rand(rng, 1, 6, 3), rand(rng, 2, 3, 2)
    got = ref.conv_nd(x, w, stride=2, padding=1, dilation=2)
    ol = (6 + 2 - 2 - 1) // 2 + 1
    want = np.zeros((1, ol, 2))
    for o, co in itertools.product(range(ol), range(2)):
        for k, c in itertools.product(range(2), range(3)):
            pos = o * 2 - 1 + k * 2
            if 0 <= pos < 6:
                want[0, o, co] += x[0, pos, c] * w[k, c, co]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cbr():
    rng = np.random.default_rng(7)
    x, w = rand(rng, 1, 9, 9, 3), rand(rng, 7, 7, 3, 4)
    bias, scale, offset = rand(rng, 4), rand(rng, 4), rand(rng, 4)
    cfg = dict(N=1, H=9, W=9, CI=3, CO=4, K=7, stride=2, padding=3)
    got = ref.conv2d_nhwc_bias_bn_relu(x, w, bias, scale, offset, **cfg)[0]
    conv = F.conv2d(t(x).permute(0, 3, 1, 2), t(w).permute(3, 2, 0, 1), stride=2, padding=3).permute(0, 2, 3, 1)
    want = torch.relu((conv + t(bias)) * t(scale) + t(offset))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)
    assert (got == 0).any() and (got > 0).any()


def test_matmuls():
    rng = np.random.default_rng(8)
    a, b = rand(rng, 3, 4, 5), rand(rng, 3, 5, 6)
    np.testing.assert_allclose(ref.batch_matmul_nkkm(a, b, B=3, N=4, M=6, K=5)[0], torch.bmm(t(a), t(b)).numpy())
    x, m = rand(rng, 1, 7), rand(rng, 7, 9)
    np.testing.assert_allclose(ref.gemv(x, m, K=7, N=9)[0], (t(x) @ t(m)).numpy())


def test_transpose_batch_matmul():
    rng = np.random.default_rng(9)
    q, k = rand(rng, 2, 5, 3, 4), rand(rng, 2, 5, 3, 4)
    got = ref.transpose_batch_matmul(q, k, batch=2, seq=5, heads=3, dim=4)[0]
    want = torch.einsum("bihd,bjhd->bhij", t(q), t(k))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-12)


def test_norm_softmax_layer_norm():
    rng = np.random.default_rng(10)
    a = rand(rng, 2, 5, 6)
    np.testing.assert_allclose(ref.norm_bmn(a, B=2, M=5, N=6)[0], torch.linalg.vector_norm(t(a), dim=(1, 2)).numpy())
    s = rand(rng, 4, 7) * 5
    np.testing.assert_allclose(ref.softmax_mn(s, M=4, N=7)[0], torch.softmax(t(s), dim=1).numpy(), rtol=1e-12)
    g, b = rand(rng, 7), rand(rng, 7)
    want = F.layer_norm(t(s), (7,), t(g), t(b), eps=1e-5)
    np.testing.assert_allclose(ref.layer_norm(s, g, b, M=4, N=7)[0], want.numpy(), rtol=1e-10, atol=1e-10)
