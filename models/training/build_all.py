#!/usr/bin/python3
"""Build the Python-trained neural styles (mosaic, brush), their previews, and their models/catalog.json entries.

  /usr/bin/python3 models/training/build_all.py              # train neural styles only if their model.onnx is missing
  /usr/bin/python3 models/training/build_all.py --retrain    # retrain them (~10 min each, CPU)
  /usr/bin/python3 models/training/build_all.py --check-dir /tmp/styles-check   # + before/after PNGs, timings

Steps: train_style.py for neural styles when needed -> re-export neural ONNX from weights.pt -> preview.jpg
(256x144 split: left original, right styled, rendered with torch) -> sha256 of each model.onnx -> their
catalog.json entries (the filters' entries are left as they are: `./rotoscope models build-filters --models models`
writes those from C#) -> optional check with the real ONNX Runtime library.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import imgio  # noqa: E402
import train_style  # noqa: E402
from common import export_onnx, run_torch, sha256_file, check_contract  # noqa: E402

VERSION = "1.0.0"
LICENSE = "MIT"
NEURAL = ["mosaic", "brush"]  # trained by train_style.py, after the filters in the catalog
NEURAL_SETTINGS_KEYS = ["steps", "size", "channels", "blocks", "seed", "batch", "lr"]


def neural_settings(models_dir, mid):
    p = os.path.join(models_dir, mid, "training.json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def load_neural(models_dir, mid):
    info = neural_settings(models_dir, mid)
    s = info["settings"]
    return train_style.load_net(os.path.join(models_dir, mid, "weights.pt"), s["channels"], s["blocks"])


def torch_modules(models_dir):
    mods = {}
    for mid in NEURAL:
        if os.path.exists(os.path.join(models_dir, mid, "weights.pt")):
            mods[mid] = load_neural(models_dir, mid)
    return mods


def preview_image():
    return imgio.scene(256, 144, seed=3)


def make_preview(model, path):
    src = preview_image()
    out = run_torch(model, src)
    img = src.copy()
    img[:, 128:] = out[:, 128:]
    img[:, 127:129] = 255
    imgio.write_image(path, img, quality=3)


def train_neural(models_dir, mid, extra):
    cmd = [sys.executable, os.path.join(HERE, "train_style.py"), "--style", mid, "--out", models_dir] + extra
    print(json.dumps({"phase": "train", "style": mid, "cmd": cmd}), flush=True)
    subprocess.run(cmd, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.normpath(os.path.join(HERE, "..")))
    ap.add_argument("--retrain", action="store_true", help="retrain neural styles even if model.onnx exists")
    ap.add_argument("--train-args", default="", help="extra args for train_style.py, e.g. '--steps 600'")
    ap.add_argument("--check-dir", default="", help="write before/after PNGs (640x360) and time each model")
    a = ap.parse_args()
    d = a.models
    torch.set_num_threads(2)

    neural = []
    for mid in NEURAL:
        onnx_path = os.path.join(d, mid, "model.onnx")
        if a.retrain or not os.path.exists(onnx_path) or not os.path.exists(os.path.join(d, mid, "weights.pt")):
            train_neural(d, mid, a.train_args.split())
        else:  # re-export from the committed weights (deterministic)
            export_onnx(load_neural(d, mid), onnx_path)
            print(json.dumps({"phase": "export", "style": mid}), flush=True)
        neural.append(mid)

    mods = torch_modules(d)
    styles = []
    for mid in neural:
        model = mods[mid]
        check_contract(os.path.join(d, mid, "model.onnx"))
        make_preview(model, os.path.join(d, mid, "preview.jpg"))
        info = neural_settings(d, mid)
        settings = {k: info["settings"][k] for k in NEURAL_SETTINGS_KEYS}
        settings["loss"] = "random-feature gram+content+tv"
        made = {"script": "models/training/train_style.py", "styleImage": f"{mid}/style.jpg", "settings": settings}
        kind, title, desc = "neural", train_style.STYLES[mid]["title"], train_style.STYLES[mid]["description"]
        styles.append({
            "id": mid, "version": VERSION, "title": title, "description": desc, "kind": kind,
            "file": f"{mid}/model.onnx", "sha256": sha256_file(os.path.join(d, mid, "model.onnx")),
            "preview": f"{mid}/preview.jpg", "license": LICENSE, "made": made})
        print(json.dumps({"phase": "catalog", "style": mid, "sha256": styles[-1]["sha256"]}), flush=True)
    # Replace the neural entries in place (new ones go last); every other entry is kept as it is.
    with open(os.path.join(d, "catalog.json")) as f:
        catalog = json.load(f)
    built = {s["id"]: s for s in styles}
    entries = [built.pop(e["id"], e) for e in catalog["styles"]] + list(built.values())
    with open(os.path.join(d, "catalog.json"), "w") as f:
        json.dump({"version": catalog.get("version", 1), "styles": entries}, f, indent=2)
        f.write("\n")

    import ort_check
    diffs = ort_check.check_models({mid: mods[mid] for mid in neural}, d)
    print(json.dumps({"phase": "ort-check", "library": ort_check.find_library(), "maxAbsDiff": diffs}), flush=True)

    if a.check_dir:
        os.makedirs(a.check_dir, exist_ok=True)
        src = imgio.lavfi("testsrc2=size=640x360", 640, 360)[0]
        scene = imgio.scene(640, 360, seed=0)
        x = torch.rand(1, 3, 360, 640) * 255
        for s in styles:
            m = mods[s["id"]].eval()
            rows = [np.concatenate([im, run_torch(m, im)], 1) for im in (src, scene)]
            imgio.write_image(os.path.join(a.check_dir, s["id"] + ".png"), np.concatenate(rows, 0))
            with torch.no_grad():
                m(x)
                t0 = time.perf_counter()
                for _ in range(5):
                    m(x)
                dt = (time.perf_counter() - t0) / 5
            print(json.dumps({"phase": "time", "style": s["id"], "torchCpuSecondsPer640x360": round(dt, 4),
                              "bytes": os.path.getsize(os.path.join(d, s["id"], "model.onnx"))}), flush=True)


if __name__ == "__main__":
    main()
