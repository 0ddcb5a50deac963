"""The standard tuning suite: names, shapes (standard and small) and FLOP counts.

Standard sizes are those tuners report (batch 1, float32). Small sizes keep each op's
structure (kernel, stride, padding, groups, dilation, block count) with tiny extents, so an
unscheduled build runs in milliseconds.
FLOPs: 2 x multiply-accumulates for convolutions and matmuls (a convolution counts every kernel
tap at every output, padding included; the transposed convolution counts only input x kernel
products that land inside the output); element-wise and reduction steps count one each.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

from .. import te
from ..topi import conv_nhwc as conv
from ..topi import dense, norm, reference
from .workload import Workload

SIZES = ("standard", "small")


@dataclass(frozen=True)
class Entry:
    description: str
    build: object  # te builder: **config -> tensors (inputs..., output)
    reference: object  # numpy reference: (*inputs, **config) -> [outputs]
    flops: object  # **config -> int
    standard: dict
    small: dict
    rtol: float = 1e-4
    atol: float = 1e-4


def _prod(*xs) -> int:
    return math.prod(xs)


def _conv_flops(N, CI, CO, K, stride, padding, spatial, dilation=1, groups=1) -> int:
    outs = [conv.out_size(s, K, stride, padding, dilation) for s in spatial]
    return 2 * N * _prod(*outs) * CO * K ** len(spatial) * (CI // groups)


def _c1d_flops(N, L, CI, CO, K, stride, padding, dilation=1, groups=1):
    return _conv_flops(N, CI, CO, K, stride, padding, [L], dilation, groups)


def _c2d_flops(N, H, W, CI, CO, K, stride, padding, dilation=1, groups=1):
    return _conv_flops(N, CI, CO, K, stride, padding, [H, W], dilation, groups)


def _c3d_flops(N, D, H, W, CI, CO, K, stride, padding):
    return _conv_flops(N, CI, CO, K, stride, padding, [D, H, W])


def _dep_flops(N, H, W, C, K, stride, padding):
    return _conv_flops(N, C, C, K, stride, padding, [H, W], groups=C)


def _cap_flops(N, H, W, CI, CO, K, stride, padding, capsule=4):
    oh, ow = conv.out_size(H, K, stride, padding), conv.out_size(W, K, stride, padding)
    return 2 * N * oh * ow * capsule ** 3 * CO * K * K * CI


def _t2d_flops(N, H, W, CI, CO, K, stride, padding):
    def taps(size):  # (input, kernel) pairs of one dimension landing inside the output
        out = (size - 1) * stride - 2 * padding + K
        return sum(1 for i, k in itertools.product(range(size), range(K)) if 0 <= i * stride - padding + k < out)

    return 2 * N * taps(H) * taps(W) * CI * CO


def _cbr_flops(N, H, W, CI, CO, K, stride, padding):
    outs = N * conv.out_size(H, K, stride, padding) * conv.out_size(W, K, stride, padding) * CO
    return _c2d_flops(N, H, W, CI, CO, K, stride, padding) + 4 * outs  # bias, scale, offset, relu


SUITE = {
    "C1D": Entry(
        "conv1d NLC (1,256,64) kernel 3 -> 128, stride 2, pad 1",
        conv.conv1d_nlc, reference.conv1d_nlc, _c1d_flops,
        dict(N=1, L=256, CI=64, CO=128, K=3, stride=2, padding=1),
        dict(N=1, L=16, CI=4, CO=8, K=3, stride=2, padding=1),
    ),
    "C2D": Entry(
        "conv2d NHWC (1,224,224,3) 7x7 -> 64, stride 2, pad 3",
        conv.conv2d_nhwc, reference.conv2d_nhwc, _c2d_flops,
        dict(N=1, H=224, W=224, CI=3, CO=64, K=7, stride=2, padding=3),
        dict(N=1, H=14, W=14, CI=3, CO=4, K=7, stride=2, padding=3),
    ),
    "C3D": Entry(
        "conv3d NDHWC (1,16,224,224,3) 7x7x7 -> 64, stride 2, pad 3",
        conv.conv3d_ndhwc, reference.conv3d_ndhwc, _c3d_flops,
        dict(N=1, D=16, H=224, W=224, CI=3, CO=64, K=7, stride=2, padding=3),
        dict(N=1, D=4, H=10, W=10, CI=3, CO=4, K=7, stride=2, padding=3),
        atol=1e-3,
    ),
    "CAP": Entry(
        "capsule conv2d (1,16,16,4,4,32) 3x3, capsule 4 -> 32, stride 2, pad 1",
        conv.conv2d_capsule_nhwijc, reference.conv2d_capsule_nhwijc, _cap_flops,
        dict(N=1, H=16, W=16, CI=32, CO=32, K=3, stride=2, padding=1, capsule=4),
        dict(N=1, H=6, W=6, CI=4, CO=4, K=3, stride=2, padding=1, capsule=4),
    ),
    "DEP": Entry(
        "depthwise conv2d NHWC (1,112,112,32) 3x3, stride 1, pad 1",
        conv.depthwise_conv2d_nhwc, reference.depthwise_conv2d_nhwc, _dep_flops,
        dict(N=1, H=112, W=112, C=32, K=3, stride=1, padding=1),
        dict(N=1, H=8, W=8, C=4, K=3, stride=1, padding=1),
    ),
    "DIL": Entry(
        "dilated conv2d NHWC (1,224,224,3) 7x7 -> 64, stride 2, pad 3, dilation 2",
        conv.conv2d_nhwc, reference.conv2d_nhwc, _c2d_flops,
        dict(N=1, H=224, W=224, CI=3, CO=64, K=7, stride=2, padding=3, dilation=2),
        dict(N=1, H=16, W=16, CI=3, CO=4, K=7, stride=2, padding=3, dilation=2),
    ),
    "GMM": Entry(
        "batch matmul (1,128,128,128)",
        dense.batch_matmul_nkkm, reference.batch_matmul_nkkm, lambda B, N, M, K: 2 * B * N * M * K,
        dict(B=1, N=128, M=128, K=128),
        dict(B=1, N=16, M=16, K=16),
    ),
    "GMM-1024": Entry(
        "batch matmul (1,1024,1024,1024)",
        dense.batch_matmul_nkkm, reference.batch_matmul_nkkm, lambda B, N, M, K: 2 * B * N * M * K,
        dict(B=1, N=1024, M=1024, K=1024),
        dict(B=1, N=32, M=32, K=32),
        atol=1e-3,
    ),
    "GRP": Entry(
        "group conv2d NHWC (1,56,56,64) 3x3 -> 128, stride 2, pad 1, groups 4",
        conv.conv2d_nhwc, reference.conv2d_nhwc, _c2d_flops,
        dict(N=1, H=56, W=56, CI=64, CO=128, K=3, stride=2, padding=1, groups=4),
        dict(N=1, H=8, W=8, CI=8, CO=16, K=3, stride=2, padding=1, groups=4),
    ),
    "T2D": Entry(
        "conv2d transpose NHWC (1,4,4,512) 4x4 -> 256, stride 2, pad 1",
        conv.conv2d_transpose_nhwc, reference.conv2d_transpose_nhwc, _t2d_flops,
        dict(N=1, H=4, W=4, CI=512, CO=256, K=4, stride=2, padding=1),
        dict(N=1, H=4, W=4, CI=8, CO=4, K=4, stride=2, padding=1),
        atol=1e-3,
    ),
    "CBR": Entry(
        "conv2d NHWC (1,224,224,3) 7x7 -> 64, stride 2, pad 3 + bias + batch norm + relu",
        conv.conv2d_nhwc_bias_bn_relu, reference.conv2d_nhwc_bias_bn_relu, _cbr_flops,
        dict(N=1, H=224, W=224, CI=3, CO=64, K=7, stride=2, padding=3),
        dict(N=1, H=14, W=14, CI=3, CO=4, K=7, stride=2, padding=3),
    ),
    "TBG": Entry(
        "transpose + batch matmul: query, key (1,128,12,64) -> (1,12,128,128)",
        dense.transpose_batch_matmul, reference.transpose_batch_matmul,
        lambda batch, seq, heads, dim: 2 * batch * heads * seq * seq * dim,
        dict(batch=1, seq=128, heads=12, dim=64),
        dict(batch=1, seq=16, heads=2, dim=8),
    ),
    "NRM": Entry(
        "norm: sqrt of the sum of squares of (1,256,256) -> (1,)",
        norm.norm_bmn, reference.norm_bmn, lambda B, M, N: 2 * B * M * N + B,
        dict(B=1, M=256, N=256),
        dict(B=1, M=8, N=8),
        rtol=1e-3,
    ),
    "SFM": Entry(
        "softmax over rows of (256,256)",
        norm.softmax_mn, reference.softmax_mn, lambda M, N: 5 * M * N,
        dict(M=256, N=256),
        dict(M=8, N=16),
        atol=1e-6,
    ),
    "GEMV": Entry(
        "matrix-vector: (1,4096) x (4096,4096)",
        dense.gemv, reference.gemv, lambda K, N: 2 * K * N,
        dict(K=4096, N=4096),
        dict(K=32, N=32),
        atol=1e-3,
    ),
    "LN": Entry(
        "layer norm over the last dim of (512,768), with gamma and beta",
        norm.layer_norm, reference.layer_norm, lambda M, N: 10 * M * N,
        dict(M=512, N=768),
        dict(M=8, N=16),
    ),
    "BMM": Entry(
        "batch matmul (12,128,64) x (12,64,128)",
        dense.batch_matmul_nkkm, reference.batch_matmul_nkkm, lambda B, N, M, K: 2 * B * N * M * K,
        dict(B=12, N=128, M=128, K=64),
        dict(B=2, N=8, M=8, K=4),
    ),
}


def names() -> list:
    """The workload names of the suite, in its conventional order."""
    return list(SUITE)


def config(name: str, size: str = "standard") -> dict:
    """The shape parameters of workload `name` at `size`."""
    if name not in SUITE:
        raise KeyError(f"unknown workload {name!r}; known: {', '.join(SUITE)}")
    if size not in SIZES:
        raise ValueError(f"workload {name!r}: size must be one of {SIZES}, got {size!r}")
    entry = SUITE[name]
    return dict(entry.standard if size == "standard" else entry.small)


def get(name: str, size: str = "standard", dtype: str | None = None) -> Workload:
    """Workload `name` at `size` ("standard" or "small"), its PrimFunc freshly built; `dtype`
    "float16" builds the tensor-core variant (fp16 inputs, fp32 accumulation) of the workloads
    whose builder takes a dtype (the matmuls and conv2d)."""
    cfg = config(name, size)
    entry = SUITE[name]
    if dtype is None:
        tensors = entry.build(**cfg)
    else:
        try:
            tensors = entry.build(**cfg, dtype=dtype, out_dtype="float32")
        except TypeError as err:
            raise ValueError(f"workload {name!r} has no {dtype} variant (its builder takes no dtype)") from err
    return Workload(
        name=name,
        size=size,
        func=te.create_prim_func(tensors),
        flops=int(entry.flops(**cfg)),
        reference_fn=functools.partial(entry.reference, **cfg),
        num_outputs=1,
        rtol=entry.rtol,
        atol=entry.atol,
        description=entry.description,
    )
