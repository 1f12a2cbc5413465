"""Where a rule comes from: a quoted sentence of the docs, or our reasoned choice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PLAYGROUND_PAGE = "image-playground-api.txt"


@dataclass(frozen=True, slots=True)
class Provenance:
    """``kind`` is ``"documented"`` (``text`` quotes the docs) or ``"inferred"`` (``text`` says why)."""

    kind: Literal["documented", "inferred"]
    text: str

    def __str__(self) -> str:
        if self.kind == "documented":
            return f'documented: "{self.text}"'
        return f"inferred: {self.text}"


def documented(quote: str) -> Provenance:
    return Provenance("documented", quote)


def inferred(reason: str) -> Provenance:
    return Provenance("inferred", reason)
