"""ONNX export/verification helpers (model contract), sha256 and a torch runner for the neural styles."""
import hashlib
import io

import numpy as np
import onnx
import torch
import torch.nn.functional as F

OPSET = 13
MAX_IR_VERSION = 8


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
