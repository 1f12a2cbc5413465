"""``docs/screenshot.py`` (``make screenshot``) still makes the README's picture from a real run."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from PIL import Image

from mock_server.testing import need_tool

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_screenshot_script_photographs_a_seeded_dashboard(tmp_path: Path) -> None:
    need_tool("chromium"), need_tool("chromedriver")
    spec = importlib.util.spec_from_file_location("screenshot", DOCS / "screenshot.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    made = script.main(tmp_path / "dashboard.png")
    picture = Image.open(io.BytesIO(made.read_bytes()))
    assert picture.format == "PNG" and picture.width == script.WINDOW[0] and made.stat().st_size < 200_000


def test_the_readme_shows_the_committed_picture() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    assert "](docs/dashboard.png)" in readme and "make screenshot" in readme
    assert Image.open(DOCS / "dashboard.png").format == "PNG"
