"""The PyTorch front end: models captured with torch.export, each aten node lowered to one
PrimFunc, every PrimFunc compiled with gcc and run in graph order, compared with PyTorch eager."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from raytune_ms import tir
from raytune_ms.torch_frontend import (
    LoweringError,
    UnsupportedOperatorError,
    capture,
    lower_captured,
    lower_module,
    run_lowered,
)

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).eval()


@pytest.mark.parametrize("decompose", [False, True])
def test_mlp_matches_eager(decompose):
    model, x = mlp(), torch.randn(3, 8)
    lowered = lower_module(model, (x,), decompose=decompose)
    ops = [f.op for f in lowered.functions]
    if decompose:
        assert ops == ["aten.permute.default", "aten.addmm.default", "aten.relu.default",
                       "aten.permute.default", "aten.addmm.default"]
    else:
        assert ops == ["aten.linear.default", "aten.relu.default", "aten.linear.default"]
    assert all(isinstance(f.func, tir.PrimFunc) and f.func.name == f.name for f in lowered.functions)
    assert "test_lower.py" not in lowered.functions[0].source  # nn.Sequential's own line: torch's frames only
    (out,) = run_lowered(lowered, x)
    np.testing.assert_allclose(out, model(x).detach().numpy(), rtol=1e-5, atol=1e-5)
    (again,) = run_lowered(lowered, torch.randn(3, 8) * 0 + x)  # same shapes, any values
    np.testing.assert_array_equal(again, out)


class Mixed(nn.Module):
    """A little of everything the converters cover: conv, batch norm, pooling, transposed conv,
    layer norm, embedding, attention, layout ops, reductions, dropout in eval."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.up = nn.ConvTranspose2d(4, 2, 2, stride=2)
        self.ln = nn.LayerNorm(4)
        self.emb = nn.Embedding(10, 4)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, idx):
        y = self.pool(F.relu(self.bn(self.conv(x))))
        z = self.up(y)
        y = self.ln(self.gap(y).flatten(1)) + self.emb(idx).mean(1)
        q = y.view(2, 1, 1, 4).expand(2, 2, 3, 4)
        a = F.scaled_dot_product_attention(q, q * 0.5, q, is_causal=True)
        a = torch.cat([a, a * 2.0], dim=-1)[:, :, 1:, ::2].transpose(1, 2).contiguous()
        return (self.drop(F.gelu(a)).softmax(-1), torch.sigmoid(z).sum(dim=(2, 3), keepdim=True),
                F.avg_pool2d(x, 2), F.log_softmax(F.silu(y), dim=0))


@pytest.mark.parametrize("decompose", [False, True])
def test_mixed_model_matches_eager(decompose):
    torch.manual_seed(0)
    model = Mixed()
    with torch.no_grad():  # non-trivial running statistics
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    model.eval()
    x, idx = torch.randn(2, 3, 8, 8), torch.randint(0, 10, (2, 5))
    lowered = lower_module(model, (x, idx), decompose=decompose)
    outs = run_lowered(lowered, x, idx)
    want = [t.detach().numpy() for t in model(x, idx)]
    assert len(outs) == len(want)
    for got, exp in zip(outs, want):
        np.testing.assert_allclose(got, exp, rtol=1e-4, atol=1e-5)
    assert "contiguous" not in [f.name for f in lowered.functions]  # aliases have no kernel


def test_unsupported_op_names_aten_op_and_source_line():
    class Cum(nn.Module):
        def forward(self, x):
            return torch.cumsum(x, 0) + 1.0

    with pytest.raises(UnsupportedOperatorError, match=r"aten\.cumsum\.default \(node 'cumsum'\) at .*test_lower\.py"
                                                      r":\d+: return torch\.cumsum\(x, 0\) \+ 1\.0"):
        lower_module(Cum(), (torch.randn(4),))


def test_training_mode_is_rejected():
    model = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2)).train()
    with pytest.raises(LoweringError, match=r"aten\.add_\.Tensor .* training mode: call model\.eval\(\)"):
        lower_module(model, (torch.randn(2, 1, 3, 3),))
    with pytest.raises(LoweringError, match=r"aten\.dropout\.default .* training mode"):
        lower_module(nn.Sequential(nn.Dropout(0.5)).train(), (torch.randn(4),))


def test_dynamic_shapes_are_rejected():
    model, x = mlp(), torch.randn(4, 8)
    captured = capture(model, (x,))
    captured.program = torch.export.export(model, (x,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    with pytest.raises(LoweringError, match="dynamic dimension .* only static shapes"):
        lower_captured(captured)


def test_wrong_input_shape_at_run_time():
    model, x = mlp(), torch.randn(3, 8)
    lowered = lower_module(model, (x,))
    with pytest.raises(ValueError, match=r"input 'input' is \(2, 8\) float32, the model was captured at \(3, 8\)"):
        run_lowered(lowered, torch.randn(2, 8))


@pytest.mark.slow  # ~45 kernels to compile per case
@pytest.mark.parametrize("decompose", [False, True])
def test_transformer_encoder_layer_matches_eager(decompose):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=2, dim_feedforward=32, batch_first=True).eval()
    x = torch.randn(2, 5, 16)
    lowered = lower_module(layer, (x,), decompose=decompose)
    (out,) = run_lowered(lowered, x)
    np.testing.assert_allclose(out, layer(x).detach().numpy(), rtol=1e-4, atol=1e-4)
