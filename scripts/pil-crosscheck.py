"""Pillow side of the augmentation cross-check (see scripts/pil-crosscheck.ts), and a Pillow bench.

  /usr/bin/python3 scripts/pil-crosscheck.py compare DIR   # DIR written by pil-crosscheck.ts
  /usr/bin/python3 scripts/pil-crosscheck.py bench [N]     # images/s, one weak + one strong view

Needs only Pillow (Debian's python3-pil); no numpy. The hue shift is computed as our TS code does
(int(factor * 255) wrapped to a byte), which is what numpy's float -> uint8 cast gives on x86-64.
"""
import json
import os
import random
import sys
import time
from collections import defaultdict

import PIL
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

FILL = (128, 128, 128)


def hue(img, factor):
    shift = int(factor * 255) % 256
    h, s, v = img.convert("HSV").split()
    h = h.point([(i + shift) & 255 for i in range(256)])
    return Image.merge("HSV", (h, s, v)).convert("RGB")


def affine(img, coeffs):
    return img.transform(img.size, Image.AFFINE, coeffs, Image.NEAREST, fillcolor=FILL)


OPS = {
    "autocontrast": lambda im, p: ImageOps.autocontrast(im),
    "equalize": lambda im, p: ImageOps.equalize(im),
    "invert": lambda im, p: ImageOps.invert(im),
    "grayscale": lambda im, p: im.convert("L").convert("RGB"),
    "hflip": lambda im, p: im.transpose(Image.FLIP_LEFT_RIGHT),
    "posterize": lambda im, p: ImageOps.posterize(im, int(p)),
    "solarize": lambda im, p: ImageOps.solarize(im, p),
    "brightness": lambda im, p: ImageEnhance.Brightness(im).enhance(p),
    "color": lambda im, p: ImageEnhance.Color(im).enhance(p),
    "contrast": lambda im, p: ImageEnhance.Contrast(im).enhance(p),
    "sharpness": lambda im, p: ImageEnhance.Sharpness(im).enhance(p),
    "shearX": lambda im, p: affine(im, (1, p, 0, 0, 1, 0)),
    "shearY": lambda im, p: affine(im, (1, 0, 0, p, 1, 0)),
    "translateX": lambda im, p: affine(im, (1, 0, p, 0, 1, 0)),
    "translateY": lambda im, p: affine(im, (1, 0, 0, 0, 1, p)),
    "rotate": lambda im, p: im.rotate(p, resample=Image.NEAREST, fillcolor=FILL),
    "gaussianBlur": lambda im, p: im.filter(ImageFilter.GaussianBlur(radius=p)),
    "hue": hue,
    "resize": lambda im, p: resized_crop(im, int(p)),
}


def resized_crop(img, size):
    """torchvision's resized_crop on PIL: crop, then a bilinear resize (box rule as in pil-crosscheck.ts)."""
    w, h = img.size
    left, top = w // 5, h // 7
    right = left + max(1, w - left - w // 6)
    bottom = top + max(1, h - top - h // 9)
    return img.crop((left, top, right, bottom)).resize((size, size), Image.BILINEAR)


def compare(folder):
    # CROSSCHECK_CONTROL=1 nudges every parameter: a negative control, the table must then show mismatches
    nudge = 1.01 if os.environ.get("CROSSCHECK_CONTROL") else None
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(folder, "data.bin"), "rb") as f:
        blob = f.read()
    images = []
    for meta in manifest["images"]:
        n = meta["w"] * meta["h"] * 3
        images.append(Image.frombytes("RGB", (meta["w"], meta["h"]), blob[meta["offset"] : meta["offset"] + n]))
    stats = defaultdict(lambda: {"cases": 0, "exact": 0, "values": 0, "diff": 0, "max": 0, "bad": defaultdict(int)})
    examples = defaultdict(list)
    for c in manifest["cases"]:
        img = images[c["img"]]
        param = c["param"]
        if nudge is not None and param is not None and c["op"] not in ("posterize", "resize"):
            param = param * nudge + 0.01
        ref = OPS[c["op"]](img, param)
        n = c["w"] * c["h"] * 3
        ours = blob[c["offset"] : c["offset"] + n]
        s = stats[c["op"]]
        s["cases"] += 1
        s["values"] += n
        if ref.size != (c["w"], c["h"]):
            s["diff"] += n
            s["max"] = 255
            s["bad"][c["param"]] += 1
            continue
        theirs = ref.tobytes()
        if theirs == ours:
            s["exact"] += 1
            continue
        d = [abs(a - b) for a, b in zip(theirs, ours) if a != b]
        s["diff"] += len(d)
        s["max"] = max(s["max"], max(d))
        s["bad"][c["param"]] += 1
        if len(examples[c["op"]]) < 3:
            meta = manifest["images"][c["img"]]
            first = next(i for i, (a, b) in enumerate(zip(theirs, ours)) if a != b)
            px = first // 3
            examples[c["op"]].append(
                f"img {c['img']} {meta['kind']} {meta['w']}x{meta['h']} param={c['param']}: "
                f"{len(d)} values differ, first at x={px % meta['w']} y={px // meta['w']} ch={first % 3}: "
                f"pillow {theirs[first]} ours {ours[first]} (input {img.getpixel((px % meta['w'], px // meta['w'])) if px < meta['w'] * meta['h'] else '-'})"
            )
    print(f"Pillow {PIL.__version__} vs src/clsa/augment, seed {manifest['seed']}, {len(images)} images")
    print(f"{'op':<14}{'cases':>7}{'exact':>7}{'diff values':>13}{'of values':>11}{'max|d|':>8}  mismatching params")
    for op in OPS:
        if op not in stats:
            continue
        s = stats[op]
        items = sorted(s["bad"].items(), key=lambda kv: (kv[0] is None, kv[0] or 0))
        bad = ", ".join(f"{p if p is None else round(p, 4)}:{k}" for p, k in items[:6])
        bad += f" (+{len(items) - 6} more)" if len(items) > 6 else ""
        print(f"{op:<14}{s['cases']:>7}{s['exact']:>7}{s['diff']:>13}{s['values']:>11}{s['max']:>8}  {bad}")
    for op, lines in examples.items():
        for line in lines:
            print(f"  {op}: {line}")
    return 0 if all(s["exact"] == s["cases"] for s in stats.values()) else 1


# --- bench: the same chain as weakPixels + strongPixels, on Pillow images -------------------------


def weak(img, rnd):
    if rnd.random() < 0.8:
        order = [0, 1, 2, 3]
        rnd.shuffle(order)
        b, c, s = (rnd.uniform(0.6, 1.4) for _ in range(3))
        hf = rnd.uniform(-0.1, 0.1)
        for fn in order:
            if fn == 0:
                img = ImageEnhance.Brightness(img).enhance(b)
            elif fn == 1:
                img = ImageEnhance.Contrast(img).enhance(c)
            elif fn == 2:
                img = ImageEnhance.Color(img).enhance(s)
            else:
                img = hue(img, hf)
    if rnd.random() < 0.2:
        img = img.convert("L").convert("RGB")
    if rnd.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(radius=rnd.uniform(0.1, 2.0)))
    if rnd.random() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return img


def sign(rnd):
    return -1 if rnd.random() < 0.5 else 1


STRONG = [
    lambda im, v, r: ImageOps.autocontrast(im),
    lambda im, v, r: ImageOps.equalize(im),
    lambda im, v, r: ImageOps.invert(im),
    lambda im, v, r: im.rotate(30 * v / 10 * sign(r), resample=Image.NEAREST, fillcolor=FILL),
    lambda im, v, r: ImageOps.posterize(im, 4 + int(4 * v / 10)),
    lambda im, v, r: ImageOps.solarize(im, 256 - 256 * v / 10),
    lambda im, v, r: ImageEnhance.Color(im).enhance(0.05 + 0.9 * v / 10),
    lambda im, v, r: ImageEnhance.Contrast(im).enhance(0.05 + 0.9 * v / 10),
    lambda im, v, r: ImageEnhance.Brightness(im).enhance(0.05 + 0.9 * v / 10),
    lambda im, v, r: ImageEnhance.Sharpness(im).enhance(0.05 + 0.9 * v / 10),
    lambda im, v, r: affine(im, (1, 0.3 * v / 10 * sign(r), 0, 0, 1, 0)),
    lambda im, v, r: affine(im, (1, 0, 0, 0.3 * v / 10 * sign(r), 1, 0)),
    lambda im, v, r: affine(im, (1, 0, 0.3 * v / 10 * im.size[0] * sign(r), 0, 1, 0)),
    lambda im, v, r: affine(im, (1, 0, 0, 0, 1, 0.3 * v / 10 * im.size[1] * sign(r))),
]


def strong(img, rnd):
    img = weak(img, rnd)
    for _ in range(5):
        op = rnd.choice(STRONG)
        if rnd.random() < 0.5:
            img = op(img, rnd.uniform(1, 10), rnd)
    return img


def bench(n):
    rnd = random.Random(20261129)
    images = [Image.frombytes("RGB", (224, 224), rnd.randbytes(224 * 224 * 3)) for _ in range(16)]
    for i in range(8):  # warm-up
        weak(images[i], rnd)
        strong(images[i], rnd)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for i in range(n):
            img = images[i % len(images)]
            weak(img, rnd)
            strong(img, rnd)
        rate = n / (time.perf_counter() - t0)
        best = max(best, rate)
        print(f"Pillow {PIL.__version__}: {rate:.1f} images/s (one weak + one strong view, 224x224, 1 thread)")
    print(f"best of 3: {best:.1f} images/s")
    return 0


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "bench"
    if mode == "compare":
        sys.exit(compare(sys.argv[2]))
    sys.exit(bench(int(sys.argv[2]) if len(sys.argv) > 2 else 300))
