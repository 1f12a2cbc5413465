"""Shared fixtures of the piktid_spec tests: the docs page the documented rules quote."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from piktid_spec._provenance import PLAYGROUND_PAGE

REPO = Path(__file__).resolve().parents[2]
DOCS_CANDIDATES = (REPO / "docs" / PLAYGROUND_PAGE, REPO.parent / "shared" / "docs" / PLAYGROUND_PAGE)


def squash(text: str) -> str:
    """Whitespace removed: the docs page is a text scrape whose table cells are joined with none."""
    return re.sub(r"\s+", "", text)


def quoted_in(quote: str, page: str) -> bool:
    """``quote`` appears in ``page``, ignoring whitespace, with ``...`` standing for elided text."""
    haystack, start = squash(page), 0
    for fragment in (squash(part) for part in quote.split("...")):
        found = haystack.find(fragment, start)
        if found < 0:
            return False
        start = found + len(fragment)
    return True


@pytest.fixture(scope="session")
def docs_text() -> str:
    """The Image Playground docs page; tests that quote it are skipped where it is not checked out."""
    for path in DOCS_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip(f"{PLAYGROUND_PAGE} not found (looked in {', '.join(str(p.parent) for p in DOCS_CANDIDATES)})")


@pytest.fixture(scope="session")
def in_docs(docs_text: str) -> Callable[[str], bool]:
    """``in_docs(quote)``: whether the docs page contains ``quote`` (see ``quoted_in``)."""
    return lambda quote: quoted_in(quote, docs_text)
