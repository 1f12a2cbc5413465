"""``mock_server._build``: which build runs, and no compiled module older than its source."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from mock_server._build import ROOT, build_kind, stale_sources

pytestmark = pytest.mark.memory_only  # files on disk, no mock state

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def test_no_source_changed_after_the_compiled_build() -> None:
    stale = [str(source.relative_to(ROOT)) for source in stale_sources()]
    assert not stale, (
        f"{', '.join(stale)} changed after the compiled build: run `make build` or `pip install -e .` "
        "(Python imports the compiled modules, so the edit is not what runs)"
    )


def test_the_build_kind_says_whether_the_request_path_runs_compiled() -> None:
    compiled = any(ROOT.glob(f"mock_server/backend/service{SUFFIX}"))
    assert build_kind() == ("compiled (mypyc)" if compiled else "pure Python")


def test_ci_runs_the_compiled_build_unless_pure_was_asked_for() -> None:
    """A compile that fails falls back to pure Python in one line pip's ``--quiet`` hides: under ``CI`` that
    is a failure (the suite and the benchmarks must run what users get), not a silent slower build."""
    if not os.environ.get("CI") or os.environ.get("PIKTID_MOCK_PURE") == "1" or (ROOT / ".venv" / ".pure").exists():
        pytest.skip("not CI, or a pure install was asked for")
    assert build_kind() == "compiled (mypyc)", (
        "the compiled build fell back to pure Python: run `.venv/bin/python -m pip install -v -e .` and read "
        "the line starting 'piktid-mock:' (a mypyc error, or no C compiler)"
    )


PURE_SMOKE = """
import asyncio, importlib.machinery as machinery, os, sys
ours = tuple(os.path.join(os.getcwd(), package) for package in ("piktid_spec", "mock_server"))

def sources_only(path):
    if not path.startswith(ours):
        raise ImportError(path)
    return machinery.FileFinder(path, (machinery.SourceFileLoader, machinery.SOURCE_SUFFIXES))

sys.path_hooks.insert(0, sources_only)
sys.path_importer_cache.clear()
from benchmarks._servers import mock_app
from benchmarks.asgi import drive
from mock_server._build import build_kind
asyncio.run(drive(mock_app(), 50))
print(build_kind())
"""
"""Imports the project's modules from their sources (a finder that knows no extension module), then posts 50
``/edit-chat`` requests in process, each completing (``drive`` fails unless every answer is 202)."""


def test_the_sources_serve_as_pure_python_too() -> None:
    """A compiled install runs the pure-Python sources too (``PIKTID_MOCK_PURE=1`` installs only them)."""
    done = subprocess.run([sys.executable, "-c", PURE_SMOKE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "pure Python"


def _tree(root: Path, *, source: float, extension: float, library: float | None) -> Path:
    package = root / "mock_server" / "backend"
    package.mkdir(parents=True)
    for path, when in [(package / "service.py", source), (package / f"service{SUFFIX}", extension)]:
        path.write_text("")
        os.utime(path, (when, when))
    if library is not None:
        lib = root / f"0123abcd__mypyc{SUFFIX}"
        lib.write_text("")
        os.utime(lib, (library, library))
    return package / "service.py"


def test_a_source_edited_after_the_build_is_stale(tmp_path: Path) -> None:
    source = _tree(tmp_path, source=2_000, extension=1_000, library=1_000)
    assert stale_sources(tmp_path) == [source]


def test_a_module_whose_group_library_was_rebuilt_after_its_edit_is_not_stale(tmp_path: Path) -> None:
    _tree(tmp_path, source=2_000, extension=1_000, library=3_000)
    assert stale_sources(tmp_path) == []


def test_an_interpreted_module_edited_after_the_build_is_stale_too(tmp_path: Path) -> None:
    """The compiled code relies on the types of the modules it imports, compiled or not."""
    source = _tree(tmp_path, source=2_000, extension=1_000, library=1_500)
    next(source.parent.glob(f"*{SUFFIX}")).unlink()
    assert stale_sources(tmp_path) == [source]


def test_a_pure_install_has_nothing_stale(tmp_path: Path) -> None:
    _tree(tmp_path, source=2_000, extension=1_000, library=None)
    assert stale_sources(tmp_path) == []
