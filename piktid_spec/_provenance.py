"""Where a rule comes from: a quoted sentence of the docs, or our reasoned choice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

PLAYGROUND_PAGE = "image-playground-api.txt"


@dataclass(frozen=True, slots=True)
class Provenance:
    """``kind`` is ``"documented"`` (``text`` quotes the docs) or ``"inferred"`` (``text`` says why)."""

    kind: Literal["documented", "inferred"]
    text: str

    def found_in(self, page: str) -> bool:
        """Whether a documented quote stands on ``page`` (see ``quoted_in``); inferred ones never do."""
        return self.kind == "documented" and quoted_in(self.text, page)

    def __str__(self) -> str:
        if self.kind == "documented":
            return f'documented: "{self.text}"'
        return f"inferred: {self.text}"


def documented(quote: str) -> Provenance:
    return Provenance("documented", quote)


def inferred(reason: str) -> Provenance:
    return Provenance("inferred", reason)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def quoted_in(quote: str, page: str) -> bool:
    """``quote`` stands on ``page``, whitespace ignored (scraped tables join their cells), ``...`` eliding text.

    How the tests keep every documented rule tied to the sentence it quotes.
    """
    haystack, start = _squash(page), 0
    for fragment in map(_squash, quote.split("...")):
        found = haystack.find(fragment, start)
        if found < 0:
            return False
        start = found + len(fragment)
    return True
