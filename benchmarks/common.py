"""What the benchmark scripts share: where the Qwen example lives and the deterministic test images.

Importing this module puts the example (examples/qwen_text2image) and its scripts/ on ``sys.path``: it is
imported by path, never copied, so the benchmark always measures the current rendering.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image

BENCHMARKS_DIR = Path(__file__).resolve().parent
ROOT = BENCHMARKS_DIR.parent
EXAMPLE_DIR = ROOT / "examples" / "qwen_text2image"


def use_example() -> None:
    """Make the example's ``job_client`` and ``scripts/`` importable (ahead of anything installed)."""
    for path in (EXAMPLE_DIR / "scripts", EXAMPLE_DIR):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


use_example()


@dataclass(frozen=True)
class ServedImage:
    """One image the fake provider serves in the delivery benchmark."""

    label: str
    data: bytes
    mime_type: str


def photo_like(size: int, seed: int) -> Image.Image:
    """A deterministic RGB image that compresses like a photo: gradients, soft blobs, texture and grain.

    Every random byte comes from ``random.Random(seed)``, so the same size and seed give the same pixels.
    """
    rng = random.Random(seed)
    box = (size, size)
    gradient = Image.linear_gradient("L")
    base = Image.merge(
        "RGB",
        (gradient.resize(box), gradient.rotate(90).resize(box), Image.radial_gradient("L").resize(box)),
    )
    blobs = Image.frombytes("RGB", (16, 16), rng.randbytes(16 * 16 * 3)).resize(box, Image.Resampling.BICUBIC)
    small = size // 8
    texture = Image.frombytes("RGB", (small, small), rng.randbytes(small * small * 3))
    grain = Image.frombytes("L", box, rng.randbytes(size * size)).convert("RGB")
    image = Image.blend(base, blobs, 0.5)
    image = Image.blend(image, texture.resize(box, Image.Resampling.BILINEAR), 0.2)
    return Image.blend(image, grain, 0.08)


def delivery_images() -> list[ServedImage]:
    """The two delivery cases: a 1328x1328 JPEG (quality 90, Qwen-Image's size) and a 2048x2048 PNG."""
    jpeg, png = BytesIO(), BytesIO()
    photo_like(1328, seed=1328).save(jpeg, format="JPEG", quality=90)
    photo_like(2048, seed=2048).save(png, format="PNG")  # Pillow's defaults, as a diffusers backend writes it
    return [
        ServedImage("1328x1328 JPEG", jpeg.getvalue(), "image/jpeg"),
        ServedImage("2048x2048 PNG", png.getvalue(), "image/png"),
    ]
