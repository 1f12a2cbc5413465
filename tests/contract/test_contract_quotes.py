"""Every sentence the kit prints as ``documented`` is on the Image Playground page."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import contract_tests
from piktid_spec import Provenance, quoted_in

REPO = Path(__file__).resolve().parents[2]
PAGE = "image-playground-api.txt"
KIT = Path(contract_tests.__file__).parent
MODULES = sorted(
    "contract_tests." + ".".join(p.relative_to(KIT).with_suffix("").parts)
    for p in KIT.rglob("*.py")
    if p.name not in ("__init__.py", "conftest.py") and not p.name.startswith("test_")
)


@pytest.fixture(scope="module")
def page() -> str:
    for path in (REPO / "docs" / PAGE, REPO.parent / "shared" / "docs" / PAGE):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    pytest.skip(f"{PAGE} is not checked out")


def kit_quotes() -> list[str]:
    """The text of every documented ``Provenance`` a kit module defines."""
    return sorted(
        {
            v.text
            for name in MODULES
            for v in vars(importlib.import_module(name)).values()
            if isinstance(v, Provenance) and v.kind == "documented"
        }
    )


def test_quotes_are_constants_not_inline_strings() -> None:
    inline = [
        f"{p.relative_to(KIT)}:{n}"
        for p in sorted(KIT.rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"""['"]documented: \"""", line)
    ]
    assert inline == []
    assert len(kit_quotes()) >= 10


@pytest.mark.parametrize("quote", kit_quotes())
def test_each_documented_quote_is_on_the_page(quote: str, page: str) -> None:
    assert quoted_in(quote, page), quote
