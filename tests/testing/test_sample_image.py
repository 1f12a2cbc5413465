"""sample_image: real, decodable images of the size, format and colour asked for."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mock_server.testing import sample_image


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_decodes_at_the_size_and_format_asked(fmt: str) -> None:
    image = decode(sample_image(120, 30, fmt))
    assert (image.format, image.size) == (fmt, (120, 30))


def test_is_filled_with_the_colour() -> None:
    assert decode(sample_image(4, 4, color=(1, 2, 3))).getpixel((2, 2)) == (1, 2, 3)


def test_other_modes_default_to_black() -> None:
    image = decode(sample_image(8, 8, mode="1"))
    assert (image.mode, image.getpixel((0, 0))) == ("1", 0)
