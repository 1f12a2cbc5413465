"""The issue's "done when", as a newcomer does it: ``piktid-mock serve``, open the printed dashboard
URL, run the README's curl line, and watch the request, the job and its image appear on the page.

Real programs throughout: the CLI in a subprocess (real clock, short latency), ``curl``, Chromium.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from chrome import console_errors, wait
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from mock_server.testing import need_tool, wait_until

README = Path(__file__).resolve().parents[2] / "README.md"
CSS = By.CSS_SELECTOR


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _readme_curl() -> str:
    """The README's curl line from its dashboard section (the shell block that sends a job)."""
    blocks = re.findall(r"^```sh\n(.*?)^```$", README.read_text(), re.S | re.M)
    blocks = [b for b in blocks if b.startswith("curl ")]
    assert blocks, "README lost its curl example"
    return blocks[0]


@pytest.fixture
def served() -> Iterator[tuple[str, str]]:
    """``piktid-mock serve`` on a free port: (its printed dashboard URL, its base URL)."""
    port = _free_port()
    command = [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--latency", "0.2"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines = iter(process.stdout.readline, "")
        dashboard = next(m.group(1) for line in lines if (m := re.search(r"dashboard: (\S+)", line)))
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(base), what="piktid-mock serve to listen")
        yield dashboard, base
    finally:
        process.terminate()
        process.wait(10)


def _answers(base: str) -> bool:
    try:
        return httpx.get(base + "/docs", trust_env=False).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_open_the_printed_url_send_the_readme_curl_and_see_it_all(
    served: tuple[str, str], browser: WebDriver
) -> None:
    dashboard, base = served
    assert dashboard == base + "/_mock/"
    browser.get(dashboard)
    wait(browser, lambda b: b.find_element(CSS, "#live-status").text == "live", "the dashboard's first poll")
    curl = _readme_curl().replace("http://127.0.0.1:8000", base)
    assert base + "/edit-chat" in curl
    run = {"capture_output": True, "text": True, "check": True, "timeout": 30}
    sent = subprocess.run(["bash", "-c", curl], env=_with(need_tool("curl")), **run)
    job_id = json.loads(sent.stdout)["job_id"]
    wait(browser, lambda b: "/edit-chat" in b.find_element(CSS, "tr.request").text, "the request to appear")
    job = f"article.job[data-job='{job_id}']"
    wait(browser, lambda b: b.find_elements(CSS, job), "the job to appear")
    loaded = "const imgs = [...document.querySelectorAll(arguments[0] + ' img.thumb')];"
    loaded += "return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);"
    wait(browser, lambda b: b.execute_script(loaded, job), "the job's images to load")
    assert "a red bicycle" in browser.find_element(CSS, job).text and console_errors(browser) == []


def _with(curl: str) -> dict[str, str]:
    """The environment with ``curl``'s folder first on PATH and no proxy (the mock is on loopback)."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PATH"] = f"{Path(curl).parent}{os.pathsep}{env.get('PATH', '')}"
    return env
