"""Shared fixtures of the piktid_spec tests: the docs page the documented rules quote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from piktid_spec import quoted_in
from piktid_spec._provenance import PLAYGROUND_PAGE

REPO = Path(__file__).resolve().parents[2]
DOCS_CANDIDATES = (REPO / "docs" / PLAYGROUND_PAGE, REPO.parent / "shared" / "docs" / PLAYGROUND_PAGE)


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
