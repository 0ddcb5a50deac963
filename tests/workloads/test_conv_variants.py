"""The te convolutions beyond the suite's sizes: odd shapes, strides, paddings, dilations and
groups, built and run against the (torch-checked) numpy references."""

import numpy as np
import pytest

from raytune_ms import build, te
from raytune_ms.workloads import conv, reference


def run(tensors, ref_fn, seed=0):
    func = te.create_prim_func(tensors)
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-1, 1, p.shape).astype("float32") for p in func.params[:-1]]
    out = np.zeros(func.params[-1].shape, "float32")
    build(func, target="llvm")(*inputs, out)
    want = ref_fn(*inputs)[0]
    assert out.shape == want.shape
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("K, stride, padding", [(4, 2, 1), (3, 1, 0), (3, 2, 1), (5, 3, 2), (4, 2, 0), (3, 3, 0), (2, 2, 1)])
def test_conv2d_transpose(K, stride, padding):
    cfg = dict(N=1, H=3, W=5, CI=3, CO=2, K=K, stride=stride, padding=padding)
    run(conv.conv2d_transpose_nhwc(**cfg), lambda x, w: reference.conv2d_transpose_nhwc(x, w, **cfg))


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (3, 2, 1, 1), (2, 2, 3, 1), (1, 1, 1, 3), (2, 3, 2, 3)])
def test_conv2d(stride, padding, dilation, groups):
    cfg = dict(N=2, H=9, W=7, CI=6, CO=9, K=3, stride=stride, padding=padding, dilation=dilation, groups=groups)
    run(conv.conv2d_nhwc(**cfg), lambda x, w: reference.conv2d_nhwc(x, w, **cfg))


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 2, 2)])
def test_conv1d(stride, padding, dilation, groups):
    cfg = dict(N=1, L=13, CI=4, CO=6, K=3, stride=stride, padding=padding, dilation=dilation, groups=groups)
    run(conv.conv1d_nlc(**cfg), lambda x, w: reference.conv1d_nlc(x, w, **cfg))


def test_conv3d_and_depthwise_and_capsule_odd_shapes():
    c3 = dict(N=1, D=3, H=5, W=4, CI=2, CO=3, K=3, stride=1, padding=1)
    run(conv.conv3d_ndhwc(**c3), lambda x, w: reference.conv3d_ndhwc(x, w, **c3))
    dw = dict(N=1, H=7, W=6, C=3, K=5, stride=2, padding=2)
    run(conv.depthwise_conv2d_nhwc(**dw), lambda x, w: reference.depthwise_conv2d_nhwc(x, w, **dw))
    cap = dict(N=1, H=5, W=4, CI=3, CO=2, K=3, stride=1, padding=0, capsule=2)
    run(conv.conv2d_capsule_nhwijc(**cap), lambda x, w: reference.conv2d_capsule_nhwijc(x, w, **cap))


def test_pad_block_alone():
    A = te.placeholder((2, 3), name="A")
    P = conv.pad(A, (1, 0), (2, 3))
    run([A, P], lambda a: [np.pad(a, [(1, 2), (0, 3)])])


def test_other_workloads_at_a_third_size():
    from raytune_ms.workloads import dense, norm

    cases = [
        (dense.batch_matmul_nkkm(B=3, N=5, M=7, K=9), lambda a, b: reference.batch_matmul_nkkm(a, b, B=3, N=5, M=7, K=9)),
        (dense.gemv(K=33, N=17), lambda x, w: reference.gemv(x, w, K=33, N=17)),
        (dense.transpose_batch_matmul(2, 5, 3, 4), lambda q, k: reference.transpose_batch_matmul(q, k, batch=2, seq=5, heads=3, dim=4)),
        (norm.norm_bmn(3, 4, 5), lambda a: reference.norm_bmn(a, B=3, M=4, N=5)),
        (norm.softmax_mn(3, 17), lambda a: reference.softmax_mn(a, M=3, N=17)),
        (norm.layer_norm(3, 17), lambda a, g, b: reference.layer_norm(a, g, b, M=3, N=17)),
    ]
    for tensors, ref_fn in cases:
        run(tensors, ref_fn)
