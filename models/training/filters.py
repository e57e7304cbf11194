#!/usr/bin/python3
"""Classic rotoscope filters as tiny torch modules, exported to ONNX (no training, no randomness).

Every filter maps float32 [N,3,H,W] RGB 0..255 -> same shape, clamped to 0..255 inside the graph.
Only convolutions with replicate padding, pointwise maths and (halftone) coordinate planes built
with CumSum are used, so any H,W (multiples of 4 by contract, but any size works) is accepted.

Usage: /usr/bin/python3 models/training/filters.py [--out models] [--only toon,ink]
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import GaussianBlur, Luma, SobelMagnitude, export_onnx  # noqa: E402


class Toon(nn.Module):
    """Cel shading: Gaussian smoothing, per-channel quantisation into `levels` flat bands, and dark
    outlines from the Sobel gradient magnitude of the smoothed luma."""

    def __init__(self, levels=6, sigma=1.5, edge_lo=28.0, edge_hi=70.0, edge_strength=0.9):
        super().__init__()
        self.levels = float(levels)
        self.blur = GaussianBlur(3, sigma)
        self.luma = Luma()
        self.sobel = SobelMagnitude()
        self.edge_lo, self.edge_hi, self.edge_strength = edge_lo, edge_hi, edge_strength

    def forward(self, x):
        s = self.blur(x)
        # mild saturation boost around luma, then flat bands
        l = self.luma(s)
        s = torch.clamp(l + (s - l) * 1.25, 0.0, 255.0)
        step = 255.0 / self.levels
        q = (torch.floor(torch.clamp(s, 0.0, 254.999) / step) + 0.5) * step
        mag = self.sobel(self.luma(s))
        edge = torch.clamp((mag - self.edge_lo) / (self.edge_hi - self.edge_lo), 0.0, 1.0)
        return torch.clamp(q * (1.0 - self.edge_strength * edge), 0.0, 255.0)


class Ink(nn.Module):
    """Black ink lines on paper-white: difference of Gaussians (dark side of edges) combined with
    the Sobel magnitude of the lightly smoothed luma, mapped to ink/paper colours."""

    def __init__(self, sigma=1.2, k=1.6, dog_lo=3.0, dog_hi=8.0, sobel_lo=60.0, sobel_hi=140.0):
        super().__init__()
        self.luma = Luma()
        self.g1 = GaussianBlur(1, sigma)
        self.g2 = GaussianBlur(1, sigma * k)
        self.sobel = SobelMagnitude()
        self.dog_lo, self.dog_hi, self.sobel_lo, self.sobel_hi = dog_lo, dog_hi, sobel_lo, sobel_hi
        self.register_buffer("paper", torch.tensor([250.0, 246.0, 236.0]).view(1, 3, 1, 1))
        self.register_buffer("ink", torch.tensor([18.0, 18.0, 28.0]).view(1, 3, 1, 1))

    def forward(self, x):
        l = self.luma(x)
        a = self.g1(l)
        dog = a - self.g2(l)
        lines = torch.clamp((-dog - self.dog_lo) / (self.dog_hi - self.dog_lo), 0.0, 1.0)
        contour = torch.clamp((self.sobel(a) - self.sobel_lo) / (self.sobel_hi - self.sobel_lo), 0.0, 1.0)
        ink = torch.clamp(lines + contour, 0.0, 1.0)
        return torch.clamp(self.paper + (self.ink - self.paper) * ink, 0.0, 255.0)


class Posterize(nn.Module):
    """Poster look: smoothing, contrast/saturation lift, then `levels` levels per channel."""

    def __init__(self, levels=4, sigma=1.2):
        super().__init__()
        self.levels = float(levels)
        self.blur = GaussianBlur(3, sigma)
        self.luma = Luma()

    def forward(self, x):
        s = self.blur(x)
        l = self.luma(s)
        s = l + (s - l) * 1.3
        s = (s - 128.0) * 1.1 + 128.0
        n = self.levels - 1.0
        q = torch.round(torch.clamp(s, 0.0, 255.0) / 255.0 * n) * (255.0 / n)
        return torch.clamp(q, 0.0, 255.0)


class Sketch(nn.Module):
    """Pencil sketch: grayscale colour-dodge of the image with its blurred inverse, a soft
    gamma to darken strokes, on a faint warm paper tone."""

    def __init__(self, sigma=5.0, gamma=1.8, pre_sigma=0.8):
        super().__init__()
        self.luma = Luma()
        self.pre = GaussianBlur(1, pre_sigma)
        self.blur = GaussianBlur(1, sigma)
        self.gamma = gamma
        self.register_buffer("tone", torch.tensor([1.0, 0.985, 0.95]).view(1, 3, 1, 1))

    def forward(self, x):
        g = self.pre(self.luma(x))
        b = self.blur(255.0 - g)
        dodge = torch.clamp(g * 255.0 / (255.0 - b + 1.0), 0.0, 255.0) / 255.0
        pencil = torch.pow(dodge + 1e-6, self.gamma)
        return torch.clamp(pencil * 255.0 * self.tone, 0.0, 255.0)


class Halftone(nn.Module):
    """CMY colour halftone: each ink is printed as a rotated dot screen (period `period` px) whose
    dot size follows the smoothed ink amount; paper white where no ink."""

    def __init__(self, period=6.0, angles=(15.0, 75.0, 0.0), sigma=1.5, sharpness=3.0):
        super().__init__()
        self.blur = GaussianBlur(3, sigma)
        self.sharpness = sharpness
        f = 2.0 * math.pi / period
        rot = []
        for a in angles:
            t = math.radians(a)
            rot.append([math.cos(t) * f, math.sin(t) * f, -math.sin(t) * f, math.cos(t) * f])
        self.register_buffer("rot", torch.tensor(rot).view(1, 3, 4, 1, 1))

    def forward(self, x):
        s = self.blur(x)
        ones = torch.ones_like(s[:, :1])  # [N,1,H,W]
        xs = torch.cumsum(ones, dim=3) - 1.0
        ys = torch.cumsum(ones, dim=2) - 1.0
        r = self.rot  # [1,3,4,1,1] -> per-channel rotated coordinates
        u = xs * r[:, :, 0] + ys * r[:, :, 1]
        v = xs * r[:, :, 2] + ys * r[:, :, 3]
        screen = 0.5 + 0.25 * (torch.cos(u) + torch.cos(v))  # 0 at dot centres, 1 between
        inkamt = 1.0 - s / 255.0
        mask = torch.clamp((inkamt - screen) * self.sharpness + 0.5, 0.0, 1.0)
        return torch.clamp(255.0 * (1.0 - mask), 0.0, 255.0)


class Duotone(nn.Module):
    """Duotone print: smoothed luma with an S-curve mapped between a deep and a light ink."""

    def __init__(self, dark=(28.0, 24.0, 90.0), light=(255.0, 196.0, 120.0), sigma=0.8):
        super().__init__()
        self.luma = Luma()
        self.blur = GaussianBlur(1, sigma)
        self.register_buffer("dark", torch.tensor(dark).view(1, 3, 1, 1))
        self.register_buffer("light", torch.tensor(light).view(1, 3, 1, 1))

    def forward(self, x):
        t = torch.clamp(self.blur(self.luma(x)) / 255.0, 0.0, 1.0)
        t = t * t * (3.0 - 2.0 * t)  # smoothstep contrast
        return torch.clamp(self.dark + (self.light - self.dark) * t, 0.0, 255.0)


# id -> (factory, catalog metadata). Settings are recorded in the catalog ("made.settings").
FILTERS = {
    "toon": (lambda: Toon(levels=6), dict(
        title="Toon", description="Cel shading: flat colour bands with dark outlines.",
        settings={"levels": 6, "sigma": 1.5, "edge": [28, 70]})),
    "ink": (lambda: Ink(), dict(
        title="Ink", description="Black ink lines (difference of Gaussians + Sobel) on paper white.",
        settings={"sigma": 1.2, "k": 1.6, "dog": [3, 8], "sobel": [60, 140]})),
    "posterize": (lambda: Posterize(levels=4), dict(
        title="Posterize", description="Smoothed poster colours with four levels per channel.",
        settings={"levels": 4, "sigma": 1.2})),
    "sketch": (lambda: Sketch(), dict(
        title="Pencil Sketch", description="Grayscale pencil sketch: colour-dodge of the blurred inverse on paper.",
        settings={"sigma": 5.0, "gamma": 1.8, "preSigma": 0.8})),
    "halftone": (lambda: Halftone(), dict(
        title="Halftone", description="CMY colour halftone dots on rotated screens, like cheap print.",
        settings={"period": 6, "angles": [15, 75, 0]})),
    "duotone": (lambda: Duotone(), dict(
        title="Duotone", description="Two-ink print: shadows in deep indigo, highlights in warm peach.",
        settings={"dark": [28, 24, 90], "light": [255, 196, 120]})),
}


def build(model_id):
    return FILTERS[model_id][0]()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    ids = [i for i in args.only.split(",") if i] or list(FILTERS)
    for mid in ids:
        d = os.path.join(args.out, mid)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "model.onnx")
        data = export_onnx(build(mid), path)
        print(json.dumps({"exported": mid, "file": path, "bytes": len(data)}), flush=True)


if __name__ == "__main__":
    main()
