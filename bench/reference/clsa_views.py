"""CLSA's views as the reference implementation makes them: PIL images through torchvision's weak
transform and, for the strong view, the same followed by the 14-op strong policy (Pillow's ImageOps
and ImageEnhance), written from the design brief (CLSA - what the engine must implement). Used by
clsa_torch_reference.py; synthetic 256 px JPEGs stand in for a dataset.
"""
import io
import random

FILL = (128, 128, 128)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


# --- images ------------------------------------------------------------------------------------


def synthetic_jpegs(count, side=256, seed=7):
    """Photo-like 256 px JPEGs (smooth colour fields, edges and grain), quality 90, in memory."""
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(seed)
    jpegs = []
    for _ in range(count):
        img = Image.new("RGB", (side, side), tuple(rnd.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            x0, y0 = rnd.randrange(side), rnd.randrange(side)
            box = (x0, y0, x0 + rnd.randrange(20, side), y0 + rnd.randrange(20, side))
            colour = tuple(rnd.randrange(256) for _ in range(3))
            (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour)
        img = img.filter(ImageFilter.GaussianBlur(2))
        grain = Image.frombytes("RGB", (side, side), rnd.randbytes(side * side * 3))
        img = Image.blend(img, grain, 0.08)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=90)
        jpegs.append(out.getvalue())
    return jpegs


def decode(jpeg):
    from PIL import Image

    return Image.open(io.BytesIO(jpeg)).convert("RGB")


# --- the views -----------------------------------------------------------------------------------


class PilGaussianBlur:
    """The reference's blur: Pillow's GaussianBlur with sigma uniform in [0.1, 2]."""

    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = sigma

    def __call__(self, img):
        from PIL import ImageFilter

        return img.filter(ImageFilter.GaussianBlur(radius=random.uniform(*self.sigma)))


def _signed(x):
    return -x if random.random() < 0.5 else x


def _enhancer(name):
    def op(img, v):
        from PIL import ImageEnhance

        return getattr(ImageEnhance, name)(img).enhance(0.05 + 0.9 * v / 10)

    return op


def _affine(img, coeffs):
    from PIL import Image

    return img.transform(img.size, Image.AFFINE, coeffs, Image.NEAREST, fillcolor=FILL)


def _strong_ops():
    """The 14 ops with the design brief's magnitude mappings (v in [1, 10)); signed ops draw a sign."""
    from PIL import ImageOps

    return {
        "AutoContrast": lambda img, v: ImageOps.autocontrast(img),
        "Equalize": lambda img, v: ImageOps.equalize(img),
        "Invert": lambda img, v: ImageOps.invert(img),
        "Rotate": lambda img, v: img.rotate(_signed(30 * v / 10), fillcolor=FILL),
        "Posterize": lambda img, v: ImageOps.posterize(img, 4 + int(4 * v / 10)),
        "Solarize": lambda img, v: ImageOps.solarize(img, 256 - 256 * v / 10),
        "Color": _enhancer("Color"),
        "Contrast": _enhancer("Contrast"),
        "Brightness": _enhancer("Brightness"),
        "Sharpness": _enhancer("Sharpness"),
        "ShearX": lambda img, v: _affine(img, (1, _signed(0.3 * v / 10), 0, 0, 1, 0)),
        "ShearY": lambda img, v: _affine(img, (1, 0, 0, _signed(0.3 * v / 10), 1, 0)),
        "TranslateX": lambda img, v: _affine(img, (1, 0, _signed(0.3 * v / 10) * img.size[0], 0, 1, 0)),
        "TranslateY": lambda img, v: _affine(img, (1, 0, 0, 0, 1, _signed(0.3 * v / 10) * img.size[1])),
    }


class StrongPolicy:
    """CLSA's strong policy on a PIL image: `rounds` times, one op of the pool uniformly, applied
    with probability p at a magnitude uniform in [1, 10)."""

    def __init__(self, rounds=5, p=0.5):
        self.ops = list(_strong_ops().values())
        self.rounds, self.p = rounds, p

    def __call__(self, img):
        for _ in range(self.rounds):
            op = random.choice(self.ops)
            if random.random() < self.p:
                img = op(img, random.uniform(1, 10))
        return img


def view_transform(size, scale, strong):
    import torchvision.transforms as T

    steps = [
        T.RandomResizedCrop(size, scale=scale),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomApply([PilGaussianBlur()], p=0.5),
        T.RandomHorizontalFlip(),
    ]
    if strong:
        steps.append(StrongPolicy())
    return T.Compose(steps + [T.ToTensor(), T.Normalize(MEAN, STD)])


AUGMENT_SETTINGS = {
    "224 px (weak 224 + strong 224)": ((224, (0.2, 1.0)), (224, (0.2, 1.0))),
    "96 px (weak 96 + strong 96)": ((96, (0.086, 0.429)), (96, (0.086, 0.429))),
    "single-crop (weak 224 + strong 96)": ((224, (0.2, 1.0)), (96, (0.086, 0.429))),
}


class TwoViews:
    """Decode one JPEG, return its weak and strong view (what a CLSA dataset item costs)."""

    def __init__(self, jpegs, weak, strong):
        self.jpegs, self.weak, self.strong = jpegs, weak, strong

    def __len__(self):
        return len(self.jpegs)

    def __getitem__(self, i):
        img = decode(self.jpegs[i])
        return self.weak(img), self.strong(img)
