"""``output_size`` for each output_mode and ``thumbnail_size``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from piktid_spec import EDIT_CHAT, SIZE_BASE, EditChatRequest, output_size, thumbnail_size
from piktid_spec.sizing import SIZING_PROVENANCE, THUMBNAIL_LONG_SIDE, ratio_size
from piktid_spec.strategies import edit_chat_requests


def test_every_size_has_a_base() -> None:
    assert set(SIZE_BASE) == set(EDIT_CHAT.param("size").enum or ())
    assert SIZE_BASE["1K"] < SIZE_BASE["2K"] < SIZE_BASE["4K"]


@pytest.mark.parametrize("kind", sorted(k for k, p in SIZING_PROVENANCE.items() if p.kind == "documented"))
def test_documented_sizing_quotes_the_docs(kind: str, in_docs: Callable[[str], bool]) -> None:
    assert in_docs(SIZING_PROVENANCE[kind].text)


@pytest.mark.parametrize("mode", [None, "auto", "match"])
def test_auto_and_match_keep_the_input_size(mode: str | None) -> None:
    payload = {"prompt": "p", "output_mode": mode}
    assert output_size(payload, input_size=(1234, 567)) == (1234, 567)


@pytest.mark.parametrize(("size", "side"), [("1K", 1024), ("2K", 2048), ("4K", 4096)])
def test_match_without_an_input_is_a_square_at_the_base(size: str, side: int) -> None:
    assert output_size({"prompt": "p", "size": size, "output_mode": "match"}) == (side, side)


@pytest.mark.parametrize(
    ("size", "ratio", "expected"),
    [
        ("2K", "1:1", (2048, 2048)),
        ("2K", "16:9", (2048, 1152)),
        ("2K", "9:16", (1152, 2048)),
        ("1K", "3:2", (1024, 680)),
        ("1K", "21:9", (1024, 440)),
        ("4K", "2:3", (2728, 4096)),
        ("4K", "4:5", (3280, 4096)),
        ("1K", "5:4", (1024, 816)),
    ],
)
def test_ratio_keeps_the_long_side_and_rounds_to_8(size: str, ratio: str, expected: tuple[int, int]) -> None:
    payload = {"prompt": "p", "size": size, "output_mode": "ratio", "aspect_ratio": ratio}
    assert output_size(payload, input_size=(10, 10)) == expected


def test_ratio_without_aspect_ratio_falls_back_to_match() -> None:
    assert output_size({"prompt": "p", "output_mode": "ratio"}, input_size=(640, 480)) == (640, 480)


def test_custom_is_exact_whatever_the_input() -> None:
    payload = {"prompt": "p", "output_mode": "custom", "width": 1000, "height": 1496}
    assert output_size(payload, input_size=(10, 10)) == (1000, 1496)


def test_accepts_a_parsed_request() -> None:
    request = EditChatRequest.from_payload({"prompt": "p", "size": "1K"})
    assert request.effective_mode == "match"
    assert output_size(request) == (1024, 1024)


@pytest.mark.parametrize("payload", [None, {}, {"prompt": "p", "output_mode": "custom", "width": 1000}])
def test_invalid_payload_raises_value_error(payload: object) -> None:
    with pytest.raises(ValueError):
        output_size(payload)


@given(edit_chat_requests(), st.none() | st.tuples(st.integers(1, 8000), st.integers(1, 8000)))
def test_every_valid_request_has_a_size(payload: dict[str, object], input_size: tuple[int, int] | None) -> None:
    w, h = output_size(payload, input_size=input_size)
    base = SIZE_BASE[str(payload.get("size") or EDIT_CHAT.param("size").default)]
    mode = payload.get("output_mode")
    if mode == "custom":
        assert (w, h) == (payload["width"], payload["height"])
    elif mode == "ratio":
        rw, rh = (int(part) for part in str(payload["aspect_ratio"]).split(":"))
        assert max(w, h) == base and w % 8 == 0 and h % 8 == 0
        assert abs((w / h) / (rw / rh) - 1) <= 4 / min(w, h) + 1e-9  # the short side moved <= 4 px
    else:
        assert (w, h) == (input_size or (base, base))


@given(st.sampled_from(EDIT_CHAT.param("aspect_ratio").enum or ()), st.sampled_from(sorted(SIZE_BASE.values())))
def test_ratio_size_orientation_follows_the_ratio(ratio: str, base: int) -> None:
    rw, rh = (int(part) for part in ratio.split(":"))
    w, h = ratio_size(ratio, base)
    assert (w >= h) == (rw >= rh)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((2048, 1152), (256, 144)),
        ((1152, 2048), (144, 256)),
        ((1024, 1024), (256, 256)),
        ((100, 50), (100, 50)),
        ((256, 256), (256, 256)),
        ((7000, 256), (256, 9)),
        ((1, 10000), (1, 256)),
    ],
)
def test_thumbnail_size(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert thumbnail_size(size) == expected


@given(st.integers(1, 10_000), st.integers(1, 10_000))
def test_thumbnail_never_upscales_and_keeps_the_aspect(w: int, h: int) -> None:
    tw, th = thumbnail_size((w, h))
    assert 1 <= tw <= w and 1 <= th <= h
    assert max(tw, th) == min(max(w, h), THUMBNAIL_LONG_SIDE)
    scale = max(tw, th) / max(w, h)
    for side, thumb in ((w, tw), (h, th)):  # the aspect is kept to the pixel, but no side drops below 1
        assert abs(thumb - side * scale) <= 0.5 or thumb == 1


def test_sizes_are_taken_as_any_pair() -> None:
    """An input size or a size to thumbnail may be a list (as JSON gives it) as well as a tuple."""
    match = {"prompt": "x", "size": "1K", "output_mode": "match"}
    assert output_size(match, [1200, 800]) == output_size(match, (1200, 800)) == (1200, 800)
    assert thumbnail_size([1200, 800]) == thumbnail_size((1200, 800))
