"""``sample_image``: a small, real, decodable image to upload, made on the spot with Pillow."""

from __future__ import annotations

import io

from PIL import Image

SAMPLE_COLOR = (200, 120, 40)
"""The default fill: a flat orange, any colour decodes the same way."""


def sample_image(
    width: int = 64,
    height: int = 64,
    format: str = "PNG",
    color: tuple[int, ...] | int | None = None,
    *,
    mode: str = "RGB",
) -> bytes:
    """The bytes of a ``width`` x ``height`` image of one ``color``, encoded as ``format`` (PNG, JPEG, WEBP...).

    ``mode`` is Pillow's (``"RGB"``, ``"L"``, ``"1"``...) and ``color`` must suit it (an int for one
    band); without ``color``, RGB images are ``SAMPLE_COLOR`` and other modes black.
    """
    if color is None:
        color = SAMPLE_COLOR if mode == "RGB" else 0
    buffer = io.BytesIO()
    Image.new(mode, (width, height), color).save(buffer, format=format)
    return buffer.getvalue()
