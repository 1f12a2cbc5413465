"""Debian's headless Chromium under selenium, and what the tests read from it: console errors, requests.

Both programs are given by path (``Service(executable_path=...)``, ``binary_location``), so selenium
never looks for or downloads a driver or a browser. Waits are selenium's explicit ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

WAIT = 15.0
"""Longest explicit wait (s) for something the page does on its own; the page polls every second."""

ARGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900")


@contextmanager
def chromium(browser: str, driver: str) -> Iterator[WebDriver]:
    """One headless session of ``browser`` driven by ``driver``, recording console and network logs."""
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ARGS:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    session = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def wait(session: WebDriver, condition: Callable[[WebDriver], Any], message: str, timeout: float = WAIT) -> Any:
    """``condition``'s first truthy answer; a timeout fails with ``message``.

    An element the live poll replaced meanwhile (stale) counts as "not yet", like a missing one.
    """
    return WebDriverWait(session, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        condition, message
    )


def console_errors(session: WebDriver) -> list[str]:
    """Console messages of level SEVERE since the last call."""
    return [entry["message"] for entry in session.get_log("browser") if entry.get("level") == "SEVERE"]


@dataclass(frozen=True)
class Network:
    """What the page fetched since the last read: every request's URL, every response's URL and status."""

    requests: list[str]
    responses: list[tuple[str, int]]

    def hosts(self) -> set[str]:
        """``host:port`` of every request (``data:`` URLs have none)."""
        return {urlsplit(url).netloc for url in self.requests if not url.startswith("data:")}

    def status(self, url: str) -> int | None:
        """The status of the last response for ``url``, None when there was none."""
        found = [status for seen, status in self.responses if seen == url]
        return found[-1] if found else None


def network(session: WebDriver) -> Network:
    """The DevTools network events since the last call (the performance log)."""
    requests, answers = [], []
    for entry in session.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            requests.append(params["request"]["url"])
        elif message.get("method") == "Network.responseReceived":
            answers.append((params["response"]["url"], int(params["response"]["status"])))
    return Network(requests, answers)


def drain(session: WebDriver) -> None:
    """Forget the logs so far, so the next read sees only what follows."""
    session.get_log("browser")
    session.get_log("performance")
