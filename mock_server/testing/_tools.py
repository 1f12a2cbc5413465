"""Tests that need a real outside program (redis-server, chromium, node) find it here.

Locally a missing program skips the test with one line naming what to install; in CI (the ``CI``
environment variable is set) it fails instead, so a green CI run always means the test ran.
"""

from __future__ import annotations

import os
import shutil

INSTALL_HINTS = {
    "redis-server": "apt-get install redis-server",
    "chromium": "apt-get install chromium chromium-driver",
    "chromedriver": "apt-get install chromium-driver",
    "node": "apt-get install nodejs",
    "curl": "apt-get install curl",
}


def need_tool(name: str, *alternatives: str) -> str:
    """The path of the first of ``name, *alternatives`` on ``PATH``; otherwise skip (fail under ``CI``)."""
    import pytest

    for candidate in (name, *alternatives):
        found = shutil.which(candidate)
        if found:
            return found
    hint = INSTALL_HINTS.get(name, f"install {name}")
    message = f"{name} is not on PATH ({hint})"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must provide it", pytrace=False)
    pytest.skip(message)
