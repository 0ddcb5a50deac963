"""The aten operators the front end understands, each mapped to the operator library.

A converter takes the node's arguments in aten's schema order (tensors as te tensors, the rest
as Python values) and returns a te tensor, or a tuple for multi-output ops (None where an output
is not computed). Returning an input tensor unchanged marks the op as an alias (no kernel).
Both the graph torch.export gives (aten.linear, aten.conv2d, aten.batch_norm, ...) and its core
decomposition (aten.addmm, aten.convolution, aten._native_batch_norm_legit_no_training, ...) are
covered. Keys are the ops' printed names, so this module needs no torch import.
"""

from __future__ import annotations

from .. import topi

CONVERTERS: dict = {}


class ConversionError(ValueError):
    """An op's arguments that the front end does not handle (training mode, dropout, ...)."""


def register(*names):
    def wrap(fn):
        for n in names:
            CONVERTERS[n] = fn
        return fn

    return wrap


def _all_axes(dim):
    return None if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0) else dim


def _unflatten_shape(x, dim, sizes):
    dim = dim % x.ndim
    return x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :]


# --- matrix products
register("aten.linear.default")(lambda x, w, b=None: topi.linear(x, w, b))
register("aten.mm.default")(lambda a, b: topi.mm(a, b))
register("aten.bmm.default")(lambda a, b: topi.bmm(a, b))
register("aten.matmul.default")(lambda a, b: topi.matmul(a, b))
register("aten.addmm.default")(lambda c, a, b, beta=1, alpha=1: topi.addmm(c, a, b, beta=beta, alpha=alpha))


# --- convolutions
@register("aten.conv1d.default", "aten.conv2d.default", "aten.conv1d.padding", "aten.conv2d.padding")
def _conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return topi.conv(x, w, b, stride, padding, dilation, groups)


@register("aten.conv_transpose1d.default", "aten.conv_transpose2d.input")
def _conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return topi.conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation)


@register("aten.convolution.default")
def _convolution(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
    if transposed:
        return topi.conv_transpose(x, w, b, stride, padding, output_padding, groups, dilation)
    return topi.conv(x, w, b, stride, padding, dilation, groups)


# --- element-wise
for _name in ("relu", "silu", "sigmoid", "tanh", "exp", "log", "sqrt", "rsqrt", "erf", "abs", "neg"):
    register(f"aten.{_name}.default")(getattr(topi, _name))
register("aten.gelu.default")(lambda x, approximate="none": topi.gelu(x, approximate))
register("aten.leaky_relu.default")(lambda x, negative_slope=0.01: topi.leaky_relu(x, negative_slope))
register("aten.hardtanh.default")(lambda x, min_val=-1.0, max_val=1.0: topi.clamp(x, min_val, max_val))
register("aten.relu6.default")(lambda x: topi.clamp(x, 0.0, 6.0))
register("aten.clamp.default")(lambda x, min=None, max=None: topi.clamp(x, min, max))
register("aten.add.Tensor", "aten.add.Scalar")(lambda a, b, alpha=1: topi.add(a, b, alpha))
register("aten.sub.Tensor", "aten.sub.Scalar")(lambda a, b, alpha=1: topi.sub(a, b, alpha))
register("aten.rsub.Scalar", "aten.rsub.Tensor")(
    lambda a, b, alpha=1: topi.sub(b, a if alpha == 1 else topi.mul(a, alpha))
)
register("aten.mul.Tensor", "aten.mul.Scalar")(lambda a, b: topi.mul(a, b))
register("aten.div.Tensor", "aten.div.Scalar")(lambda a, b: topi.div(a, b))
register("aten.pow.Tensor_Scalar", "aten.pow.Tensor_Tensor")(lambda a, b: topi.pow(a, b))
register("aten.maximum.default")(lambda a, b: topi.maximum(a, b))
register("aten.minimum.default")(lambda a, b: topi.minimum(a, b))


# --- normalisation and softmax
@register("aten.batch_norm.default")
def _batch_norm(x, weight, bias, mean, var, training, momentum, eps, cudnn_enabled=True):
    if training:
        raise ConversionError("batch_norm in training mode (call model.eval() before capturing)")
    return topi.batch_norm(x, mean, var, weight, bias, eps)


@register("aten._native_batch_norm_legit_no_training.default")
def _batch_norm_no_training(x, weight, bias, mean, var, momentum, eps):
    return topi.batch_norm(x, mean, var, weight, bias, eps), None, None


register("aten.layer_norm.default")(
    lambda x, shape, w=None, b=None, eps=1e-5, cudnn_enable=True: topi.layer_norm(x, shape, w, b, eps)
)
register("aten.native_layer_norm.default")(
    lambda x, shape, w, b, eps: (topi.layer_norm(x, shape, w, b, eps), None, None)
)
register("aten.rms_norm.default")(lambda x, shape, w=None, eps=None: topi.rms_norm(x, shape, w, eps))
register("aten.softmax.int", "aten._softmax.default")(lambda x, dim, _dtype=None: topi.softmax(x, dim))
register("aten.log_softmax.int", "aten._log_softmax.default")(lambda x, dim, _dtype=None: topi.log_softmax(x, dim))


# --- pooling
@register("aten.max_pool1d.default", "aten.max_pool2d.default")
def _max_pool(x, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return topi.max_pool(x, kernel_size, stride or None, padding, dilation, ceil_mode, nsp=len(kernel_size))


@register("aten.max_pool2d_with_indices.default")
def _max_pool_with_indices(x, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    return _max_pool(x, kernel_size, stride, padding, dilation, ceil_mode), None


@register("aten.avg_pool1d.default", "aten.avg_pool2d.default")
def _avg_pool(x, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    return topi.avg_pool(x, kernel_size, stride or None, padding, ceil_mode, count_include_pad, divisor_override,
                         nsp=len(kernel_size))


register("aten.adaptive_avg_pool1d.default")(lambda x, size: topi.adaptive_avg_pool(x, size, nsp=1))
register("aten.adaptive_avg_pool2d.default", "aten._adaptive_avg_pool2d.default")(
    lambda x, size: topi.adaptive_avg_pool(x, size, nsp=2)
)


# --- reductions
register("aten.mean.dim")(lambda x, dim, keepdim=False, dtype=None: topi.mean(x, _all_axes(dim), keepdim))
register("aten.mean.default")(lambda x, dtype=None: topi.mean(x))
register("aten.sum.dim_IntList")(lambda x, dim, keepdim=False, dtype=None: topi.sum(x, _all_axes(dim), keepdim))
register("aten.sum.default")(lambda x, dtype=None: topi.sum(x))
register("aten.amax.default")(lambda x, dim=(), keepdim=False: topi.amax(x, _all_axes(dim), keepdim))
register("aten.amin.default")(lambda x, dim=(), keepdim=False: topi.amin(x, _all_axes(dim), keepdim))


# --- layout
register("aten.view.default", "aten.reshape.default", "aten._unsafe_view.default")(
    lambda x, shape: topi.reshape(x, shape)
)
register("aten.unflatten.int")(lambda x, dim, sizes: topi.reshape(x, _unflatten_shape(x, dim, sizes)))
register("aten.flatten.using_ints")(lambda x, start_dim=0, end_dim=-1: topi.flatten(x, start_dim, end_dim))
register("aten.permute.default")(lambda x, dims: topi.permute(x, dims))
register("aten.transpose.int")(lambda x, dim0, dim1: topi.transpose(x, dim0, dim1))
register("aten.t.default")(lambda x: x if x.ndim < 2 else topi.transpose(x, 0, 1))
register("aten.expand.default")(lambda x, size, implicit=False: topi.expand(x, size))
register("aten.cat.default")(lambda tensors, dim=0: topi.cat(tensors, dim))
register("aten.slice.Tensor")(lambda x, dim=0, start=None, end=None, step=1: topi.slice(x, dim, start, end, step))
register("aten.select.int")(lambda x, dim, index: topi.select(x, dim, index))
register("aten.unsqueeze.default")(lambda x, dim: topi.unsqueeze(x, dim))
register("aten.squeeze.dim", "aten.squeeze.dims")(lambda x, dim: topi.squeeze(x, dim))
register("aten.squeeze.default")(lambda x: topi.squeeze(x))
register("aten.embedding.default")(
    lambda w, idx, padding_idx=-1, scale_grad=False, sparse=False: topi.embedding(w, idx)
)


@register("aten.scaled_dot_product_attention.default")
def _sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    if dropout_p:
        raise ConversionError(f"scaled_dot_product_attention with dropout_p={dropout_p} (inference only)")
    if enable_gqa:
        raise ConversionError("scaled_dot_product_attention with enable_gqa=True")
    return topi.scaled_dot_product_attention(q, k, v, attn_mask, is_causal, scale)


# composite ops whose core-aten decomposition (masks built from full/arange/where) is worse than
# the library's own definition: capture(decompose=True) leaves them whole
KEEP_UNDECOMPOSED = {"aten.scaled_dot_product_attention.default"}


# --- no kernel: the value passes through
@register("aten.dropout.default")
def _dropout(x, p, train):
    if train:
        raise ConversionError("dropout in training mode (call model.eval() before capturing)")
    return x


register("aten.clone.default", "aten.contiguous.default", "aten.alias.default", "aten.detach.default")(
    lambda x, memory_format=None: x
)

# ops that only check metadata: no output, no kernel
IGNORED = {
    "aten._assert_tensor_metadata.default", "aten._assert_scalar.default", "aten.sym_constrain_range_for_size.default",
}
