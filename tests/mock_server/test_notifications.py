"""``mock_server.backend.notifications``: an ``ImageResult`` shows signed links wherever it is read."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import orjson
import pytest

from mock_server.backend.links import Links
from mock_server.backend.notifications import Filters, ImageResult, Notification
from mock_server.backend.signing import Signer
from mock_server.store import codec

pytestmark = pytest.mark.memory_only  # a record, no mock state

LINKS = Links(Signer("k" * 32))
SIGNED = {
    "output_link": LINKS.output_link("http://x", "j1", 0, 1, "full"),
    "output_thumbnail_link": LINKS.output_link("http://x", "j1", 0, 1, "thumb"),
}


def _result() -> Notification:
    data: dict[str, Any] = {"id_task": "j1", "image_index": 0, "group_index": 1}
    return ImageResult("tok", 5.0, {**data, "output_link": None, "output_thumbnail_link": None}, LINKS, "http://x")


def test_its_json_carries_the_signed_links() -> None:
    shown = _result().as_json()
    assert {key: shown["data"][key] for key in SIGNED} == SIGNED
    assert shown["name"] == "image_result" and shown["id"] == 0 and shown["timestamp"] == 5.0


def test_its_data_and_the_codecs_text_carry_the_signed_links() -> None:
    assert {key: _result().data[key] for key in SIGNED} == SIGNED
    written = orjson.loads(codec.dumps(_result()))
    assert {key: written["data"][key] for key in SIGNED} == SIGNED
    assert codec.loads(Notification, codec.dumps(_result())).data == written["data"]


def test_a_filter_matches_it_before_its_links_are_signed() -> None:
    result = _result()
    assert Filters(id_task=frozenset({"j1"}), id_image=frozenset({"0"})).match(result)
    assert {key: result.as_json()["data"][key] for key in SIGNED} == SIGNED


@pytest.mark.parametrize("made", [copy.copy, copy.deepcopy, lambda n: pickle.loads(pickle.dumps(n))])
def test_a_copy_or_a_pickle_holds_the_signed_links(made: Any) -> None:
    copied = made(_result())
    assert type(copied) is ImageResult and copied.as_json() == _result().as_json()
    assert {key: copied.data[key] for key in SIGNED} == SIGNED
