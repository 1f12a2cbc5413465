"""Output images: deterministic Pillow renders that show what was asked.

Pure functions of a ``RenderSpec`` (no state): the same request and seed give the same bytes.
Called from a worker thread by the HTTP layer, and cached there, so a 4K job costs nothing until
someone downloads it.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported where it draws or decodes (a worker thread): the backend imports this module, and
# Pillow would cost every importer of the backend (each test run of mock_piktid) its import time.

DRAW_LIMIT = 1536
"""Draw at most this long side, then scale: text stays readable and a 7000 px render stays fast."""


@dataclass(frozen=True, slots=True)
class RenderSpec:
    """Everything an output image is drawn from, so the same link always renders the same pixels."""

    job_id: str
    image_index: int
    group_index: int
    prompt: str | None
    model: str
    size_label: str
    width: int
    height: int
    seed: int = 0


def _colors(spec: RenderSpec) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(repr((spec.prompt, spec.image_index, spec.group_index, spec.seed)).encode()).digest()
    dark = (digest[0] // 3, digest[1] // 3, digest[2] // 3)
    light = (128 + digest[3] // 2, 128 + digest[4] // 2, 128 + digest[5] // 2)
    return dark, light


def _lines(spec: RenderSpec) -> list[str]:
    prompt = spec.prompt or "(no prompt: restyle of the input)"
    return [
        *textwrap.wrap(prompt, 38)[:6],
        "",
        f"{spec.width} x {spec.height}  ({spec.size_label})",
        f"model: {spec.model}",
        f"image {spec.image_index}.{spec.group_index}",
        "piktid-mock",
    ]


def _draw(spec: RenderSpec, size: tuple[int, int]) -> Image.Image:
    from PIL import Image, ImageDraw, ImageFont, ImageOps

    dark, light = _colors(spec)
    scale = min(1.0, DRAW_LIMIT / max(size))
    canvas = (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))
    gradient = Image.linear_gradient("L").rotate(spec.group_index * 90).resize(canvas)
    image = ImageOps.colorize(gradient, dark, light)
    font_size = max(6, min(canvas) // 24)
    font = ImageFont.load_default(size=font_size)
    ImageDraw.Draw(image).multiline_text(
        (font_size, font_size),
        "\n".join(_lines(spec)),
        fill=(255, 255, 255),
        font=font,
        stroke_width=max(1, font_size // 12),
        stroke_fill=(0, 0, 0),
    )
    return image if canvas == size else image.resize(size, Image.Resampling.BILINEAR)


def render_png(spec: RenderSpec, size: tuple[int, int]) -> bytes:
    """PNG bytes of ``spec`` at ``size`` (the full size, or a thumbnail size)."""
    buffer = io.BytesIO()
    _draw(spec, size).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


MAX_INPUT_PIXELS = 7000 * 7000
"""Inputs above the largest custom output are refused (inferred): match would deliver them as is."""


def probe_image(data: bytes) -> tuple[int, int] | None:
    """The size of an image Pillow can decode, or None for junk bytes and for inputs over ``MAX_INPUT_PIXELS``.

    The header is read first, so an oversized image is refused before its pixels are decoded.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_INPUT_PIXELS:
                return None
            image.load()
            return image.size
    except Exception:
        return None
