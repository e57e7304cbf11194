"""Shared torch building blocks and the ONNX export/verification helpers (model contract)."""
import hashlib
import io
import math

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 13
MAX_IR_VERSION = 8


def gaussian_kernel1d(sigma):
    r = max(1, int(math.ceil(3.0 * sigma)))
    xs = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-(xs * xs) / (2 * sigma * sigma))
    return (k / k.sum()).float()


class GaussianBlur(nn.Module):
    """Separable depthwise Gaussian blur with replicate ('edge') padding: output size == input size."""

    def __init__(self, channels, sigma):
        super().__init__()
        k = gaussian_kernel1d(sigma)
        self.r = (k.numel() - 1) // 2
        self.channels = channels
        self.register_buffer("kx", k.view(1, 1, 1, -1).repeat(channels, 1, 1, 1))
        self.register_buffer("ky", k.view(1, 1, -1, 1).repeat(channels, 1, 1, 1))

    def forward(self, x):
        r = self.r
        x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), self.kx, groups=self.channels)
        x = F.conv2d(F.pad(x, (0, 0, r, r), mode="replicate"), self.ky, groups=self.channels)
        return x


class Luma(nn.Module):
    """RGB -> Rec.601 luma as a 1x1 conv: [N,3,H,W] -> [N,1,H,W]."""

    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1))

    def forward(self, x):
        return F.conv2d(x, self.w)


class SobelMagnitude(nn.Module):
    """Gradient magnitude of a 1-channel image (Sobel, replicate padding)."""

    def __init__(self):
        super().__init__()
        gx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
        self.register_buffer("w", torch.stack([gx, gx.t()]).unsqueeze(1))  # [2,1,3,3]

    def forward(self, g):
        d = F.conv2d(F.pad(g, (1, 1, 1, 1), mode="replicate"), self.w)
        return torch.sqrt((d * d).sum(dim=1, keepdim=True) + 1e-6)


def export_onnx(model, path, example_hw=(64, 96)):
    """Export with the runtime contract: input 'input' / output 'output', float32 [N,3,H,W] with
    dynamic N,H,W, opset 13, ir_version <= 8. Returns the bytes written."""
    model = model.eval()
    x = torch.rand(1, 3, *example_hw, generator=torch.Generator().manual_seed(0)) * 255
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(
            model, x, buf, opset_version=OPSET, input_names=["input"], output_names=["output"],
            dynamic_axes={"input": {0: "N", 2: "H", 3: "W"}, "output": {0: "N", 2: "H", 3: "W"}},
            do_constant_folding=True, export_params=True)
    m = onnx.load_from_string(buf.getvalue())
    if m.ir_version > MAX_IR_VERSION:
        m.ir_version = MAX_IR_VERSION
    m.producer_name = "rotoscope-models"
    m.producer_version = "1"
    data = m.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    check_contract(path)
    return data


def check_contract(path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert m.ir_version <= MAX_IR_VERSION, m.ir_version
    assert any(o.domain in ("", "ai.onnx") and o.version == OPSET for o in m.opset_import), m.opset_import
    assert [i.name for i in m.graph.input] == ["input"], [i.name for i in m.graph.input]
    assert [o.name for o in m.graph.output] == ["output"]
    for v in (m.graph.input[0], m.graph.output[0]):
        t = v.type.tensor_type
        assert t.elem_type == onnx.TensorProto.FLOAT
        dims = t.shape.dim
        assert len(dims) == 4 and dims[1].dim_value == 3, dims
        for i in (0, 2, 3):
            assert dims[i].dim_param and not dims[i].dim_value, (v.name, i, dims[i])
    return m


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_torch(model, img_u8):
    """Apply a model to uint8 [H,W,3] (H,W padded to multiples of 4 by edge replication, then cropped)."""
    h, w, _ = img_u8.shape
    ph, pw = (-h) % 4, (-w) % 4
    x = torch.from_numpy(np.ascontiguousarray(img_u8.transpose(2, 0, 1)[None].astype(np.float32)))
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    with torch.no_grad():
        y = model.eval()(x)[:, :, :h, :w]
    return np.clip(np.rint(y[0].permute(1, 2, 0).numpy()), 0, 255).astype(np.uint8)
