"""What this install runs: the request path compiled by mypyc, or pure Python (``setup.py`` decides).

``build_kind()`` is what ``piktid-mock serve`` prints on start and ``benchmarks/results.json`` records, so
a figure or a report says which of the two it came from. ``stale_sources()`` names the modules
whose source changed since the build: an editable install puts each compiled module beside its source,
and Python then imports the compiled one, so an edit would not run until the next build.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The folder holding ``mock_server`` and ``piktid_spec`` (an editable install's checkout)."""


def build_kind() -> str:
    """``"compiled (mypyc)"`` when the request path runs compiled, ``"pure Python"`` otherwise."""
    from mock_server.backend import Backend  # its module is always in ``setup.py``'s compiled group

    source = sys.modules[Backend.__module__].__file__ or ""
    return "pure Python" if source.endswith(".py") else "compiled (mypyc)"


def stale_sources(root: Path = ROOT) -> list[Path]:
    """The sources under ``root``'s packages changed since the compiled build: newer than the group's
    library, which holds the whole group's code (a build relinks it, but may leave a module's small stub
    untouched when only another module changed) and relies on the types of every module it imports,
    compiled or not. Empty for a pure install."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    libraries = [p.stat().st_mtime for p in root.glob(f"*__mypyc{suffix}")]
    if not libraries:
        return []
    built = min(libraries)
    sources = [s for package in ("piktid_spec", "mock_server") for s in (root / package).rglob("*.py")]
    return sorted(source for source in sources if source.stat().st_mtime > built)
