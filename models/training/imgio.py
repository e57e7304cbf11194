"""Image I/O through ffmpeg pipes (rawvideo rgb24) and procedural test images.

Python here has no image codec library, so every read/write goes through ffmpeg.
All generators are deterministic (numpy Generator with explicit seeds).
"""
import subprocess

import numpy as np


def ffmpeg_read(args, width, height, frames=1):
    """Run ffmpeg with input args (e.g. ['-f','lavfi','-i','testsrc2=size=256x256']) and return uint8 [F,H,W,3]."""
    cmd = ["ffmpeg", "-v", "error", "-nostdin"] + list(args) + [
        "-frames:v", str(frames), "-vf", f"scale={width}:{height}:flags=bicubic",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    raw = subprocess.run(cmd, check=True, stdout=subprocess.PIPE).stdout
    n = len(raw) // (width * height * 3)
    return np.frombuffer(raw[: n * width * height * 3], dtype=np.uint8).reshape(n, height, width, 3)


def read_image(path, width, height):
    return ffmpeg_read(["-i", path], width, height, 1)[0]


def lavfi(source, width, height, frames=1, step=1):
    """Frames of a lavfi source; `step` keeps every step-th frame (for variety)."""
    vf = f"{source}"
    arr = ffmpeg_read(["-f", "lavfi", "-i", vf], width, height, frames * step)
    return arr[::step][:frames]


def write_image(path, img, quality=2):
    """Write uint8 [H,W,3] to path (.png or .jpg) via ffmpeg. Output is bit-stable for identical input."""
    img = np.ascontiguousarray(img, dtype=np.uint8)
    h, w, _ = img.shape
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w}x{h}", "-i", "pipe:0", "-frames:v", "1", "-fflags", "+bitexact",
           "-flags", "+bitexact"]
    if path.endswith(".jpg") or path.endswith(".jpeg"):
        cmd += ["-pix_fmt", "yuvj444p", "-q:v", str(quality)]
    cmd += [path]
    subprocess.run(cmd, check=True, input=img.tobytes())


def _fractal_noise(rng, h, w, beta=2.0):
    """1/f^beta noise field in [0,1] (natural-image-like spectrum)."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    spec = (rng.standard_normal((h, w // 2 + 1)) + 1j * rng.standard_normal((h, w // 2 + 1))) / f ** (beta / 2)
    spec[0, 0] = 0
    field = np.fft.irfft2(spec, s=(h, w))
    field -= field.min()
    return field / max(field.max(), 1e-8)


def scene(width, height, seed=0):
    """A procedural 'landscape' test image: sky gradient, sun, fractal hills, textured ground,
    a house-like block and a few round objects with shading. uint8 [H,W,3]."""
    rng = np.random.default_rng(seed)
    h, w = height, width
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    y, x = yy / h, xx / w
    img = np.zeros((h, w, 3))
    sky_top, sky_bot = np.array([40, 90, 190]), np.array([190, 215, 240])
    img[:] = sky_top + (sky_bot - sky_top) * y[..., None]
    clouds = _fractal_noise(rng, h, w, 2.6)
    img += (clouds[..., None] - 0.5) * 60 * (1 - y[..., None])
    # sun
    sx, sy = 0.78, 0.22
    d = np.sqrt(((x - sx) * w) ** 2 + ((y - sy) * h) ** 2) / h
    img = np.where((d < 0.09)[..., None], np.array([255, 230, 150]), img)
    img += (np.exp(-d * 8) * 60)[..., None] * np.array([1.0, 0.8, 0.4])
    # far hills and near hills
    for level, col, amp in ((0.55, [70, 110, 140], 0.10), (0.68, [60, 130, 60], 0.08)):
        ridge = _fractal_noise(rng, 1, w * 2, 2.2)[0, ::2]
        top = level - amp * (ridge - 0.5) * 2
        mask = y > top[None, :]
        shade = 0.75 + 0.5 * _fractal_noise(rng, h, w, 1.8)
        img = np.where(mask[..., None], np.array(col)[None, None, :] * shade[..., None], img)
    # ground texture
    ground = y > 0.8
    tex = _fractal_noise(rng, h, w, 1.2)
    img = np.where(ground[..., None], np.array([150, 120, 70]) * (0.6 + 0.7 * tex)[..., None], img)
    # house
    bx0, bx1, by0, by1 = int(0.18 * w), int(0.36 * w), int(0.55 * h), int(0.85 * h)
    img[by0:by1, bx0:bx1] = [200, 60, 50]
    img[by0 + (by1 - by0) // 3: by0 + 2 * (by1 - by0) // 3, bx0 + (bx1 - bx0) // 4: bx0 + (bx1 - bx0) // 2] = [250, 240, 180]
    roof = (y * h < by0) & (y * h > by0 - (bx1 - bx0) * 0.5 + np.abs(xx - (bx0 + bx1) / 2) * 0.5 * 2) & (xx > bx0 - 4) & (xx < bx1 + 4)
    img = np.where(roof[..., None], np.array([90, 50, 40]), img)
    # shaded balls
    for _ in range(4):
        cx, cy, r = rng.uniform(0.45, 0.95) * w, rng.uniform(0.7, 0.95) * h, rng.uniform(0.04, 0.09) * h
        col = rng.uniform(60, 255, 3)
        dd = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / r
        m = dd < 1
        light = np.clip(1.2 - np.sqrt((xx - cx + 0.4 * r) ** 2 + (yy - cy + 0.4 * r) ** 2) / (1.6 * r), 0.2, 1.2)
        img = np.where(m[..., None], col * light[..., None], img)
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def to_tensor_np(img):
    """uint8 [H,W,3] -> float32 [1,3,H,W] (0..255)."""
    return np.ascontiguousarray(img.transpose(2, 0, 1)[None].astype(np.float32))


def from_tensor_np(t):
    """float [1,3,H,W] -> uint8 [H,W,3]."""
    return np.clip(np.rint(t[0].transpose(1, 2, 0)), 0, 255).astype(np.uint8)
