"""Delivered dimensions for each ``output_mode``."""

from __future__ import annotations

from collections.abc import Sequence

from piktid_spec._provenance import documented, inferred
from piktid_spec.request import EditChatRequest

SIZE_BASE: dict[str, int] = {"1K": 1024, "2K": 2048, "4K": 4096}
"""The long side in pixels of each output size label."""
THUMBNAIL_LONG_SIDE = 256

SIZING_PROVENANCE = {
    "match": documented("match keeps the input image's size"),
    "auto": documented("On this endpoint auto behaves as match."),
    "custom": documented("custom uses exact width / height."),
    "match_without_input": inferred("with no working image there is no size to keep: a square at the size's base"),
    "ratio": inferred("ratio keeps the long side at the size's base and rounds the other to a multiple of 8"),
}


def _round8(value: float) -> int:
    return max(8, int(round(value / 8)) * 8)


def ratio_size(aspect_ratio: str, base: int) -> tuple[int, int]:
    w, h = (int(part) for part in aspect_ratio.split(":"))
    if w >= h:
        return base, _round8(base * h / w)
    return _round8(base * w / h), base


def output_size(payload: object, input_size: Sequence[int] | None = None) -> tuple[int, int]:
    """``(width, height)`` delivered for ``payload``; ``input_size`` is the working image's size (any
    pair: a tuple, or a list as JSON gives it).

    Raises ``ValueError`` when the payload has errors.
    """
    request = payload if isinstance(payload, EditChatRequest) else EditChatRequest.from_payload(payload)
    base = SIZE_BASE[request.size]
    mode = request.effective_mode
    if mode == "custom":
        assert request.width is not None and request.height is not None
        return request.width, request.height
    if mode == "ratio":
        assert request.aspect_ratio is not None
        return ratio_size(request.aspect_ratio, base)
    return (input_size[0], input_size[1]) if input_size is not None else (base, base)


def thumbnail_size(size: Sequence[int]) -> tuple[int, int]:
    """Long side at most ``THUMBNAIL_LONG_SIDE``, aspect kept (inferred); ``size`` is any pair."""
    w, h = size[0], size[1]
    scale = min(1.0, THUMBNAIL_LONG_SIDE / max(w, h))
    return max(1, round(w * scale)), max(1, round(h * scale))
