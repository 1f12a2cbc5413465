"""A user's world on the mock: uploaded images, usable identities, a conversation to continue.

Strategies draw ids as arbitrary strings; ``World.bind`` swaps every *valid* id field for one this
user really owns, so a valid draw is accepted instead of answering 404. Invalid id fields are left
as drawn: validation must reject them before any lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contract_tests.server.targets import Target
from mock_server.testing import sample_image
from piktid_spec.validate import read_params

IMAGE_SIZES = ((320, 240), (200, 360))
"""Input images of distinct shapes, so "match keeps the input image's size" is observable."""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload(target: Target, token: str, size: tuple[int, int]) -> str:
    """The documented two-step upload: ``POST /upload`` then ``PUT`` the bytes (no Authorization)."""
    answer = target.http.post("/upload", json={"filename": "input.png"}, headers=auth(token))
    answer.raise_for_status()
    ticket = answer.json()
    put = target.http.put(
        ticket["upload_url"], content=sample_image(*size), headers={"Content-Type": ticket["content_type"]}
    )
    put.raise_for_status()
    return str(ticket["file_id"])


@dataclass(slots=True)
class World:
    token: str
    files: list[tuple[str, tuple[int, int]]]
    identities: list[str]
    conversation: str
    conversation_size: tuple[int, int]
    """The size of the conversation's last output: the working image of a continuation."""

    def bind(self, payload: object) -> object:
        """``payload`` with each valid id field replaced by one of this world's ids (same lengths)."""
        if not isinstance(payload, dict):
            return payload
        usable, _ = read_params(payload)
        bound = dict(payload)
        if "image_ids" in usable:
            bound["image_ids"] = [self.files[i % len(self.files)][0] for i in range(len(usable["image_ids"]))]
        if "identity_codes" in usable:
            codes = usable["identity_codes"]
            bound["identity_codes"] = [self.identities[i % len(self.identities)] for i in range(len(codes))]
        if "conversation_id" in usable:
            bound["conversation_id"] = self.conversation
        return bound

    def input_size(self, payload: dict[str, Any]) -> tuple[int, int] | None:
        """The working image's size: the conversation's last output, else the first image_id's."""
        usable, _ = read_params(payload)
        if "conversation_id" in usable:
            return self.conversation_size
        if "image_ids" in usable:
            return dict(self.files)[usable["image_ids"][0]]
        return None


def build_world(target: Target, token: str) -> World:
    """Upload the images, pick two identities every plan may use, and run one generation to continue."""
    target.control.set_account(token, plan="free", credits=1000)
    files = [(upload(target, token, size), size) for size in IMAGE_SIZES]
    listing = target.http.get("/identity", params={"per_page": 100}, headers=auth(token)).json()
    codes = [i["identity_code"] for i in listing["identities"] if not i.get("locked")][:2]
    started = target.http.post(
        "/edit-chat", headers=auth(token), json={"prompt": "first turn", "image_ids": [files[0][0]], "size": "1K"}
    )
    started.raise_for_status()
    target.control.advance(target.settings.latency + target.settings.rate_window)
    return World(token, files, codes, started.json()["job_id"], files[0][1])
