"""Fixtures of the dashboard tests: a live mock on a manual clock, an API client, a headless browser."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from chrome import chromium, drain
from selenium.webdriver.remote.webdriver import WebDriver

from mock_server import Settings
from mock_server.testing import LiveServer, need_tool

TOKEN = "tok-dash"
JOB = {"prompt": "a red bicycle", "size": "1K", "num_variations": 2}


@pytest.fixture(scope="module")
def live(mock_store: str) -> Iterator[LiveServer]:
    """One uvicorn mock per module (manual clock, 1 s per variation); each test resets it."""
    with LiveServer(Settings(clock="manual", seed=1, latency=1)) as server:
        yield server


@pytest.fixture
def server(live: LiveServer) -> LiveServer:
    live.control.reset()
    live.control.set_clock("manual")
    return live


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    """The documented API as user ``TOKEN``."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, headers=headers, trust_env=False) as client:
        yield client


@pytest.fixture(scope="session")
def chromium_session() -> Iterator[WebDriver]:
    """Debian's headless Chromium driven by its chromedriver (skips with one line when absent)."""
    browser, driver = need_tool("chromium", "chromium-browser"), need_tool("chromedriver")
    with chromium(browser, driver) as session:
        yield session


@pytest.fixture
def browser(chromium_session: WebDriver) -> WebDriver:
    """The shared session with no cookies and empty logs, so each test reads only what it caused."""
    chromium_session.get("about:blank")
    chromium_session.execute_cdp_cmd("Network.clearBrowserCookies", {})
    drain(chromium_session)
    return chromium_session
