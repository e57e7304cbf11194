#!/usr/bin/python3
"""Train a small feed-forward style-transfer network (Johnson et al. 2016 layout) on CPU and export it to ONNX.

No pretrained network (VGG) is available offline, so the perceptual loss uses a FIXED, SEEDED, RANDOMLY
INITIALISED multi-scale conv+ReLU feature extractor (never trained). Random-feature texture statistics are
known to carry texture/colour (Ustyuzhaninov et al., "What does it take to generate natural textures?",
ICLR 2017; He et al. 2016 "Powerful generative modeling using random weights"). Losses:
  * style:   Gram matrices of the random features (and of raw RGB) of the output vs. the style image,
             each layer's squared error normalised by the squared norm of the style Gram;
  * content: squared error of the two shallowest random-feature layers, output vs. content image,
             normalised by the content features' energy;
  * tv:      total variation of the output.
Content images are procedural only (ffmpeg lavfi sources, landscape scenes, fractal-noise colour
fields with shapes), with random 128x128 crops and flips. The style image is procedurally generated
(see style_image()) and saved next to the model as style.jpg.

Usage:
  /usr/bin/python3 models/training/train_style.py --style mosaic [--steps 1200] [--size 128]
        [--channels 16] [--seed 1] [--out models]
Progress: one JSON object per line on stdout ({"step":..,"loss":..,...}); final line {"done":true,...}.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import imgio  # noqa: E402
from common import export_onnx  # noqa: E402


# ----------------------------------------------------------------------------- style images
def style_mosaic(size=256, seed=7):
    """Stained glass: Voronoi cells in saturated colours, radial glass shading, bold dark lead lines."""
    rng = np.random.default_rng(seed)
    n = 70
    pts = rng.uniform(0, size, (n, 2))
    palette = np.array([[220, 30, 40], [250, 170, 20], [30, 90, 220], [20, 160, 80], [240, 220, 40],
                        [150, 40, 170], [20, 170, 200], [240, 100, 20], [200, 30, 120]], dtype=np.float64)
    cols = palette[rng.integers(0, len(palette), n)] * rng.uniform(0.8, 1.05, (n, 1))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    d = np.sqrt((xx[..., None] - pts[:, 0]) ** 2 + (yy[..., None] - pts[:, 1]) ** 2)  # [H,W,n]
    order = np.argsort(d, axis=2)
    i1 = order[..., 0]
    d1 = np.take_along_axis(d, order[..., :1], 2)[..., 0]
    d2 = np.take_along_axis(d, order[..., 1:2], 2)[..., 0]
    img = cols[i1]
    shade = 1.15 - 0.45 * np.clip(d1 / 22.0, 0, 1)
    img = img * shade[..., None]
    img += rng.normal(0, 6, img.shape)
    lead = np.clip((d2 - d1 - 2.5) / 1.5, 0, 1)[..., None]  # 0 on the lead lines
    img = img * lead + np.array([22, 18, 20]) * (1 - lead)
    return np.clip(img, 0, 255).astype(np.uint8)


def style_brush(size=256, seed=11):
    """Impasto brush strokes: many short oriented strokes in a warm/cool painterly palette with dark rims."""
    rng = np.random.default_rng(seed)
    img = np.full((size, size, 3), [40.0, 50.0, 90.0])
    palette = np.array([[245, 200, 60], [230, 120, 30], [40, 80, 170], [90, 160, 220], [250, 240, 210],
                        [200, 50, 40], [60, 130, 80], [20, 30, 70]], dtype=np.float64)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for _ in range(900):
        cx, cy = rng.uniform(0, size, 2)
        ang = rng.normal(0.6, 0.5)
        ln, wd = rng.uniform(8, 22), rng.uniform(2.5, 5)
        u = (xx - cx) * math.cos(ang) + (yy - cy) * math.sin(ang)
        v = -(xx - cx) * math.sin(ang) + (yy - cy) * math.cos(ang)
        r = (u / ln) ** 2 + (v / wd) ** 2
        m = r < 1
        if not m.any():
            continue
        col = palette[rng.integers(0, len(palette))] * rng.uniform(0.85, 1.1)
        ridge = 0.75 + 0.35 * np.cos(v * 2.2)  # bristle ridges
        val = col * ridge[..., None] * (1 - 0.35 * r)[..., None]
        img[m] = val[m]
    return np.clip(img, 0, 255).astype(np.uint8)


STYLES = {
    "mosaic": dict(fn=style_mosaic, title="Mosaic", description=(
        "Neural style: stained-glass mosaic with saturated cells and dark lead lines (procedural style image).")),
    "brush": dict(fn=style_brush, title="Brush", description=(
        "Neural style: thick painterly brush strokes in warm and cool tones (procedural style image).")),
}


# ----------------------------------------------------------------------------- transformer network
class ConvIN(nn.Module):
    def __init__(self, cin, cout, k, stride=1, relu=True, norm=True):
        super().__init__()
        self.pad = k // 2
        self.conv = nn.Conv2d(cin, cout, k, stride=stride)
        self.norm = nn.InstanceNorm2d(cout, affine=True) if norm else None
        self.relu = relu

    def forward(self, x):
        x = self.conv(F.pad(x, (self.pad,) * 4, mode="replicate"))
        if self.norm is not None:
            x = self.norm(x)
        return F.relu(x) if self.relu else x


class Residual(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = ConvIN(c, c, 3)
        self.b = ConvIN(c, c, 3, relu=False)

    def forward(self, x):
        return x + self.b(self.a(x))


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = ConvIN(cin, cout, 3)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class StyleNet(nn.Module):
    """conv5 -> down x2 (stride-2 conv) -> residual blocks -> up x2 (nearest + conv) -> conv5; instance norm.
    Input/output RGB 0..255 (output clamped inside the graph)."""

    def __init__(self, c=16, blocks=3):
        super().__init__()
        self.body = nn.Sequential(
            ConvIN(3, c, 5), ConvIN(c, 2 * c, 3, stride=2), ConvIN(2 * c, 4 * c, 3, stride=2),
            *[Residual(4 * c) for _ in range(blocks)],
            Up(4 * c, 2 * c), Up(2 * c, c), ConvIN(c, 3, 5, relu=False, norm=False))

    def forward(self, x):
        y = self.body(x / 127.5 - 1.0)
        return torch.clamp((torch.tanh(y) + 1.0) * 127.5, 0.0, 255.0)


# ----------------------------------------------------------------------------- random feature loss net
class RandomFeatures(nn.Module):
    """Fixed random multi-scale conv+ReLU features (seeded, never trained). Returns [rgb, f1, f2, f3, f4]."""

    def __init__(self, seed=1234, widths=(32, 64, 96, 128)):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.convs = nn.ModuleList()
        cin = 3
        for i, w in enumerate(widths):
            k = 5 if i == 0 else 3
            conv = nn.Conv2d(cin, w, k, padding=k // 2, padding_mode="replicate")
            wt = torch.randn(conv.weight.shape, generator=g)
            wt = wt - wt.mean(dim=(1, 2, 3), keepdim=True) * 0.5  # partially zero-mean: edges + colour
            conv.weight.data = wt * math.sqrt(2.0 / (cin * k * k))
            conv.bias.data = torch.randn(w, generator=g) * 0.1
            self.convs.append(conv)
            cin = w
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, img):  # img 0..255
        x = (img / 255.0 - 0.45) / 0.25
        feats = [img / 255.0]
        for i, conv in enumerate(self.convs):
            if i > 0:
                x = F.avg_pool2d(x, 2)
            x = F.relu(conv(x))
            feats.append(x)
        return feats


def gram(f):
    n, c, h, w = f.shape
    f = f.reshape(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (h * w)


# ----------------------------------------------------------------------------- content data
def content_images(size=160, seed=0):
    """Procedural content set, uint8 [K,size,size,3]."""
    rng = np.random.default_rng(seed)
    imgs = []
    for src, n, step in (("testsrc2=size=320x320:rate=25", 12, 17), ("testsrc=size=320x320", 4, 30),
                         ("mandelbrot=size=320x320", 8, 20), ("life=size=320x320:mold=10:ratio=0.5", 6, 15),
                         ("cellauto=size=320x320:rule=110", 4, 20), ("gradients=size=320x320:speed=0.05", 10, 13),
                         ("smptehdbars=size=320x320", 1, 1), ("rgbtestsrc=size=320x320", 1, 1)):
        arr = imgio.lavfi(src, 320, 320, n, step)
        for a in arr:
            imgs.append(a[::2, ::2][:size, :size])
    for i in range(48):
        w = int(rng.choice([256, 320, 384]))
        sc = imgio.scene(w, 160 * w // 256 if w > 256 else 160, seed=100 + i)
        x0 = int(rng.integers(0, sc.shape[1] - size + 1))
        imgs.append(np.ascontiguousarray(sc[:size, x0:x0 + size]))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for i in range(48):
        base = np.stack([imgio._fractal_noise(rng, size, size, rng.uniform(1.5, 3.0)) for _ in range(3)], -1)
        img = 40 + 180 * base
        for _ in range(int(rng.integers(2, 7))):
            col = rng.uniform(0, 255, 3)
            cx, cy, r = rng.uniform(0, size, 2).tolist() + [rng.uniform(10, 50)]
            if rng.random() < 0.5:
                m = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
            else:
                m = (np.abs(xx - cx) < r) & (np.abs(yy - cy) < r * rng.uniform(0.3, 1.0))
            shade = 0.7 + 0.3 * (yy - cy) / (r + 1e-6) * -1
            img = np.where(m[..., None], np.clip(col * shade[..., None], 0, 255), img)
        img += rng.normal(0, rng.uniform(0, 6), img.shape)
        imgs.append(np.clip(img, 0, 255).astype(np.uint8))
    return np.stack(imgs)


def sample_batch(data, batch, size, rng):
    k, h, w, _ = data.shape
    out = np.empty((batch, size, size, 3), np.uint8)
    for b in range(batch):
        img = data[rng.integers(0, k)]
        y0, x0 = rng.integers(0, h - size + 1), rng.integers(0, w - size + 1)
        c = img[y0:y0 + size, x0:x0 + size]
        if rng.random() < 0.5:
            c = c[:, ::-1]
        if rng.random() < 0.25:
            c = c[::-1]
        out[b] = c
    return torch.from_numpy(np.ascontiguousarray(out.transpose(0, 3, 1, 2))).float()


# ----------------------------------------------------------------------------- training
DEFAULTS = dict(steps=1200, size=128, channels=16, blocks=3, seed=1, batch=2, lr=2e-3,
                style_weight=1.0, content_weight=0.6, tv_weight=2e-5, feature_seed=1234)


def train(style_id, out_dir, steps, size, channels, blocks, seed, batch, lr, style_weight, content_weight,
          tv_weight, feature_seed, threads=2, log_every=20):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    t0 = time.time()
    os.makedirs(out_dir, exist_ok=True)
    style = STYLES[style_id]["fn"]()
    imgio.write_image(os.path.join(out_dir, "style.jpg"), style, quality=2)
    data = content_images(size=max(160, size), seed=seed)
    print(json.dumps({"phase": "data", "images": int(data.shape[0]), "seconds": round(time.time() - t0, 1)}),
          flush=True)

    feat = RandomFeatures(seed=feature_seed).eval()
    with torch.no_grad():
        s = torch.from_numpy(np.ascontiguousarray(style.transpose(2, 0, 1)[None])).float()
        style_grams = [gram(f) for f in feat(s)]
    style_norms = [float((g * g).sum()) for g in style_grams]
    layer_w = [1.0, 1.0, 1.0, 1.0, 1.0]

    net = StyleNet(channels, blocks)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 0.5 * (1 + math.cos(math.pi * min(i, steps) / steps)) * 0.9 + 0.1)
    for step in range(1, steps + 1):
        x = sample_batch(data, batch, size, rng)
        y = net(x)
        fy = feat(y)
        with torch.no_grad():
            fx = feat(x)
        ls = sum(w * ((gram(f) - g) ** 2).sum() / batch / n
                 for w, f, g, n in zip(layer_w, fy, style_grams, style_norms))
        lc = sum(((fy[i] - fx[i]) ** 2).mean() / (fx[i] ** 2).mean().clamp_min(1e-6) for i in (1, 2))
        tv = ((y[:, :, 1:, :] - y[:, :, :-1, :]) ** 2).mean() + ((y[:, :, :, 1:] - y[:, :, :, :-1]) ** 2).mean()
        loss = style_weight * ls + content_weight * lc + tv_weight * tv
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % log_every == 0 or step == 1 or step == steps:
            print(json.dumps({"step": step, "steps": steps, "loss": round(float(loss), 5),
                              "style": round(float(ls), 5), "content": round(float(lc), 5),
                              "tv": round(float(tv), 3), "seconds": round(time.time() - t0, 1)}), flush=True)
    return net, time.time() - t0


def save_weights(net, path):
    torch.save({k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}, path)


def load_net(path, channels, blocks):
    net = StyleNet(channels, blocks)
    net.load_state_dict(torch.load(path))
    return net.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--style", default="mosaic", choices=sorted(STYLES))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    for k, v in DEFAULTS.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=v)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--export-only", action="store_true", help="re-export ONNX from saved weights.pt")
    a = ap.parse_args()
    out_dir = os.path.join(a.out, a.style)
    wpath = os.path.join(out_dir, "weights.pt")
    settings = {k: getattr(a, k) for k in DEFAULTS}
    if a.export_only:
        net = load_net(wpath, a.channels, a.blocks)
        wall = None
    else:
        net, wall = train(a.style, out_dir, threads=a.threads, **settings)
        save_weights(net, wpath)
        with open(os.path.join(out_dir, "training.json"), "w") as f:
            json.dump({"style": a.style, "settings": settings, "wallSeconds": round(wall, 1),
                       "torch": torch.__version__}, f, indent=2, sort_keys=True)
            f.write("\n")
    data = export_onnx(net.eval(), os.path.join(out_dir, "model.onnx"))
    print(json.dumps({"done": True, "style": a.style, "onnxBytes": len(data),
                      "wallSeconds": None if wall is None else round(wall, 1)}), flush=True)


if __name__ == "__main__":
    main()
