"""A tiny W3C WebDriver client over httpx: enough of chromedriver to drive headless Chromium in tests.

``with Browser.start(chromedriver) as browser: browser.get(url); browser.find("#x").click()``.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import httpx

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
WAIT = 10.0
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Element:
    def __init__(self, browser: Browser, element_id: str) -> None:
        self.browser, self.id = browser, element_id

    def click(self) -> None:
        self.browser.call("POST", f"/element/{self.id}/click", {})

    def send_keys(self, text: str) -> None:
        self.browser.call("POST", f"/element/{self.id}/value", {"text": text})

    def clear(self) -> None:
        self.browser.call("POST", f"/element/{self.id}/clear", {})

    @property
    def text(self) -> str:
        return str(self.browser.call("GET", f"/element/{self.id}/text"))


class Browser:
    """One chromedriver process and one headless session; ``close`` ends both."""

    def __init__(self, process: subprocess.Popen[bytes], base: str) -> None:
        self.process, self.http = process, httpx.Client(base_url=base, timeout=60, trust_env=False)
        self.session = ""

    @classmethod
    def start(cls, chromedriver: str, chromium: str) -> Browser:
        port = _free_port()
        process = subprocess.Popen(
            [chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        browser = cls(process, f"http://127.0.0.1:{port}")
        browser.until(browser._ready, "chromedriver to start")
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]
        capabilities = {"browserName": "chrome", "goog:chromeOptions": {"binary": chromium, "args": args}}
        capabilities["goog:loggingPrefs"] = {"browser": "ALL"}
        answer = browser.http.post("/session", json={"capabilities": {"alwaysMatch": capabilities}}).json()
        browser.session = answer["value"]["sessionId"]
        return browser

    def _ready(self) -> bool:
        try:
            return bool(self.http.get("/status").json()["value"]["ready"])
        except httpx.HTTPError:
            return False

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.http.request(method, f"/session/{self.session}{path}", json=body).json()
        value = answer["value"]
        if isinstance(value, dict) and "error" in value:
            raise RuntimeError(f"webdriver {path}: {value['error']}: {value.get('message', '')[:300]}")
        return value

    def get(self, url: str) -> None:
        self.call("POST", "/url", {"url": url})

    def find(self, css: str) -> Element:
        return Element(self, self.call("POST", "/element", {"using": "css selector", "value": css})[ELEMENT])

    def find_all(self, css: str) -> list[Element]:
        return [
            Element(self, e[ELEMENT]) for e in self.call("POST", "/elements", {"using": "css selector", "value": css})
        ]

    def script(self, source: str, *args: Any) -> Any:
        return self.call("POST", "/execute/sync", {"script": source, "args": list(args)})

    def console_errors(self) -> list[str]:
        """Console messages of level SEVERE since the last call (chromedriver's log extension)."""
        entries = self.call("POST", "/se/log", {"type": "browser"})
        return [e["message"] for e in entries if e.get("level") == "SEVERE"]

    def until(self, condition: Callable[[], T], what: str, timeout: float = WAIT) -> T:
        """Poll ``condition`` until truthy: a bounded wait for something the page does on its own."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.05)

    def close(self) -> None:
        try:
            if self.session:
                self.http.delete(f"/session/{self.session}")
        finally:
            self.http.close()
            self.process.terminate()
            self.process.wait(10)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
