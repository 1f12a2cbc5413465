"""Make ``docs/dashboard.png``, the README's picture of the dashboard, from a real run of the mock.

``make screenshot`` (or ``python docs/screenshot.py [OUT.png]``): starts a seeded mock on a manual
clock, sends a few API calls (jobs that complete, one that fails, one rejected request), finishes
them by advancing the clock, and photographs ``/_mock/`` in Debian's headless Chromium (``chromium``
and ``chromedriver`` on PATH, as the browser tests use them). The same seed gives the same picture.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import httpx
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.wait import WebDriverWait

from mock_server import Settings
from mock_server.testing import LiveServer

OUT = Path(__file__).resolve().parent / "dashboard.png"
WINDOW = (1280, 1400)
CALLS = (
    ({"prompt": "a red bicycle leaning on a blue wall", "size": "1K", "num_variations": 3}, {}),
    ({"prompt": "a lighthouse at dusk, film photo", "size": "2K", "num_variations": 2}, {}),
    ({"prompt": "a cat astronaut", "size": "1K"}, {"X-Mock-Scenario": "failed"}),
    ({"prompt": "a mountain lake", "size": "9K"}, {}),
)


def seed(server: LiveServer, token: str = "demo-token") -> None:
    """The API calls the picture shows, finished by the manual clock."""
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, trust_env=False) as api:
        for body, headers in CALLS:
            api.post("/edit-chat", json=body, headers=headers)
    server.control.advance(30)


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not on PATH (apt-get install chromium chromium-driver)")
    return found


def photograph(url: str, browser: str, driver: str) -> bytes:
    """A PNG of ``url`` once every thumbnail has loaded and the page's first live poll answered."""
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        session.get(url)
        loaded = (
            "return [...document.images].every(i => i.complete && i.naturalWidth > 0)"
            " && document.getElementById('live-status').textContent === 'live'"
        )
        WebDriverWait(session, 15).until(lambda s: s.execute_script(loaded), "the thumbnails to load")
        return session.get_screenshot_as_png()
    finally:
        session.quit()


def small(png: bytes) -> bytes:
    """The PNG with a 256-colour palette: a fraction of the size, the same picture to a reader."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(256, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def main(out: Path = OUT) -> Path:
    browser, driver = _program("chromium"), _program("chromedriver")
    with LiveServer(Settings(clock="manual", seed=13, latency=1)) as server:
        seed(server)
        out.write_bytes(small(photograph(server.url + "/_mock/", browser, driver)))
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
