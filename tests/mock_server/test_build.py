"""``mock_server._build``: which build runs, and no compiled module older than its source."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest

from mock_server._build import ROOT, build_kind, stale_sources

pytestmark = pytest.mark.memory_only  # files on disk, no mock state

SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def test_no_compiled_module_is_older_than_its_source() -> None:
    stale = [str(source.relative_to(ROOT)) for source in stale_sources()]
    assert not stale, (
        f"compiled module {', '.join(stale)} is older than its source: run `make build` or `pip install -e .` "
        "(Python imports the compiled module, so the edit is not what runs)"
    )


def test_the_build_kind_says_whether_the_request_path_runs_compiled() -> None:
    compiled = any(ROOT.glob(f"mock_server/backend/service{SUFFIX}"))
    assert build_kind() == ("compiled (mypyc)" if compiled else "pure Python")


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


def test_a_source_without_a_compiled_module_is_not_checked(tmp_path: Path) -> None:
    source = _tree(tmp_path, source=2_000, extension=1_000, library=None)
    next(source.parent.glob(f"*{SUFFIX}")).unlink()
    assert stale_sources(tmp_path) == []
