"""What a test suite pays for the mock: 200 pytest tests with ``piktid_mock`` vs the same 200 on respx stubs.

Each test posts ``/edit-chat`` and reads the job's results through one shared ``httpx.Client``. The
baseline answers both calls from two hand-written respx routes with canned JSON of the same size
(captured from the mock). Each suite runs in its own ``pytest`` process; the figure is the time of
the test loop (fixture set-up and teardown included, interpreter start and collection excluded),
the best of ``rounds`` runs, alternated so both see the same machine (the note gives the spread of
the rounds' own ratios). The note gives the whole
``pytest`` runs too: the plugin imports the harness after collection, outside the timed loop.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._figures import Figure, spread

BASE = "https://v2.api.piktid.com"
HEADERS = {"Authorization": "Bearer bench-suite"}
PAYLOAD: dict[str, Any] = {"prompt": "a red bicycle leaning on a wall", "size": "1K"}

TIMER = """
import time
from pathlib import Path

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        Path(__file__).with_name("elapsed.txt").write_text(str(time.perf_counter() - started))
"""

TESTS = """
import httpx
import pytest

CLIENT = httpx.Client(base_url={base!r}, headers={headers!r})
PAYLOAD = {payload!r}
{fixture}

@pytest.mark.parametrize("n", range({tests}))
def test_generate_and_read_results({use}, n):
    job = CLIENT.post("/edit-chat", json=PAYLOAD).json()
    results = CLIENT.get(f"/jobs/{{job['job_id']}}/results").json()
    assert results["results"][0]["status"] == "completed"
"""

STUB = """
import respx

ACCEPTED = {accepted!r}
RESULTS = {results!r}


@pytest.fixture
def stub():
    with respx.mock(base_url={base!r}, assert_all_called=False) as router:
        router.post("/edit-chat").mock(return_value=httpx.Response(202, json=ACCEPTED))
        router.get(url__regex=r"/jobs/[^/]+/results$").mock(return_value=httpx.Response(200, json=RESULTS))
        yield router
"""


def _canned() -> tuple[dict[str, Any], dict[str, Any]]:
    """The mock's own answers to the two calls, so the stub returns bodies of the same size."""
    import httpx

    from mock_server.testing import mock_piktid

    with mock_piktid(), httpx.Client(base_url=BASE, headers=HEADERS) as client:
        accepted = client.post("/edit-chat", json=PAYLOAD).json()
        results = client.get(f"/jobs/{accepted['job_id']}/results").json()
    return accepted, results


def _write_suites(root: Path, tests: int) -> dict[str, Path]:
    accepted, results = _canned()
    stub = STUB.format(accepted=accepted, results=results, base=BASE)
    sources = {"mock": ("", "piktid_mock"), "respx": (stub, "stub")}
    suites = {}
    for name, (fixture, use) in sources.items():
        folder = root / name
        folder.mkdir()
        (folder / "conftest.py").write_text(TIMER)
        code = TESTS.format(base=BASE, headers=HEADERS, payload=PAYLOAD, fixture=fixture, use=use, tests=tests)
        (folder / "test_suite.py").write_text(code)
        suites[name] = folder
    return suites


def _run(folder: Path) -> tuple[float, float]:
    """Seconds of the test loop of one ``pytest`` run in ``folder`` (which must pass), and of the whole run
    (interpreter start, plugins, collection, loop): imports moved out of the loop show in the second."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    whole = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"the {folder.name} suite failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return float((folder / "elapsed.txt").read_text()), whole


def pytest_suite(*, tests: int = 200, rounds: int = 5, say: Callable[[str], None] = print) -> list[Figure]:
    """The ratio of the mock suite's best test-loop time to the respx suite's (target <= 1.25).

    Each round runs both suites back to back, the order alternating from round to round (a drift in the
    machine's load then weighs on both alike); the best round of each suite is kept, as noise only ever
    adds time, and the note gives the spread of the rounds' own ratios.
    """
    with tempfile.TemporaryDirectory(prefix="piktid-bench-suite-") as tmp:
        suites = _write_suites(Path(tmp), tests)
        loops: dict[str, list[float]] = {name: [] for name in suites}
        whole: dict[str, list[float]] = {name: [] for name in suites}
        for round_ in range(rounds):
            order = list(suites) if round_ % 2 == 0 else list(reversed(suites))
            for name in order:
                loop, run = _run(suites[name])
                loops[name].append(loop)
                whole[name].append(run)
            say(f"round {round_ + 1}: " + json.dumps({k: round(v[-1], 3) for k, v in loops.items()}))
    ratios = [mock / stub for mock, stub in zip(loops["mock"], loops["respx"], strict=True)]
    return [
        Figure(
            f"{tests} pytest tests with piktid_mock (POST /edit-chat + GET results)",
            min(loops["mock"]),
            "s",
            min(loops["respx"]),
            "same tests on two respx routes",
            higher_is_better=False,
            target=1.25,
            note=(
                f"test loop incl. fixture set-up/teardown, best of {rounds} alternated rounds, one shared "
                f"httpx.Client; each round's own ratio min/median/max {spread(ratios)}; whole pytest run "
                f"(start, collection, loop) {min(whole['mock']):.2f} s / {min(whole['respx']):.2f} s"
            ),
        )
    ]
