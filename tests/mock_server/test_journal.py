"""The journal keeps a bounded summary of each request: bodies cut to a size, a cap in entries and bytes.

Through the app: what a client sends, what ``GET /_mock/journal``, the dashboard and ``piktid-mock
lint`` read back. Ten 1 MiB bodies of ``[{},{},...]`` used to keep some 250 MiB of parsed objects.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Awaitable, Callable

import pytest
from mock_support import TOKEN, Env

from contract_tests.lint import lint
from mock_server import Backend, Settings

pytestmark = pytest.mark.anyio
MakeEnv = Callable[..., Awaitable[Env]]
LIMIT = 1000
MAX_VIOLATIONS = 32
"""Violations an entry keeps (README, "Reliability")."""


def long_prompt(length: int) -> dict[str, str]:
    return {"prompt": "é" * length, "size": "1K"}


async def test_a_long_body_is_cut_and_the_entry_says_so(make_env: MakeEnv) -> None:
    env = await make_env(journal_body_bytes=LIMIT)
    payload = long_prompt(3000)
    await env.edit(payload)

    entry = env.control.journal()[-1]
    whole = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    assert (entry["body_truncated"], entry["body_bytes"]) == (True, whole)
    assert isinstance(entry["body"], str) and entry["body"].startswith('{"prompt":"éé')
    assert len(entry["body"].encode()) <= LIMIT


async def test_a_short_body_is_kept_whole_and_parsed(make_env: MakeEnv) -> None:
    env = await make_env(journal_body_bytes=LIMIT)
    await env.edit(long_prompt(10))
    entry = env.control.journal()[-1]
    assert (entry["body"], entry["body_truncated"]) == (long_prompt(10), False)


async def test_the_control_api_the_dashboard_and_lint_read_cut_entries(make_env: MakeEnv) -> None:
    env = await make_env(journal_body_bytes=LIMIT)
    for _ in range(2):
        await env.edit({**long_prompt(3000), "size": "9K"})
    await env.edit(long_prompt(10))

    shown = await env.client.get("/_mock/journal")
    assert shown.status_code == 200 and [e["body_truncated"] for e in shown.json()] == [True, True, False]
    assert (await env.client.get("/_mock/")).status_code == 200
    assert (await env.client.get("/_mock/ui/live")).status_code == 200
    checks = [f.check for f in lint(shown.json())] + [f.check for f in lint(env.control.journal(), user=TOKEN)]
    assert "requests_valid" in checks, "the cut entries' violations are still judged"


async def test_the_journal_keeps_the_newest_entries_past_its_entry_cap(make_env: MakeEnv) -> None:
    env = await make_env(journal_max_entries=3)
    for i in range(5):
        await env.client.get(f"/jobs/job_{i}/status", headers=env.auth())
    assert [e["path"] for e in env.control.journal()] == [f"/jobs/job_{i}/status" for i in (2, 3, 4)]


async def test_the_journal_stays_within_its_byte_cap(make_env: MakeEnv) -> None:
    env = await make_env(journal_body_bytes=LIMIT, journal_max_bytes=10 * LIMIT)
    for _ in range(40):
        await env.edit(long_prompt(3000))
    kept = env.control.journal()
    assert 5 <= len(kept) < 10 and kept[-1]["seq"] == 40
    assert env.backend.counts()["journal_bytes"] <= 10 * LIMIT


async def test_thousands_of_violations_keep_a_bounded_few(make_env: MakeEnv) -> None:
    env = await make_env()
    await env.edit({"prompt": "x", **{f"unknown_{i}": 1 for i in range(2000)}})
    entry = env.control.journal()[-1]
    assert len(entry["violations"]) == MAX_VIOLATIONS
    assert entry["violations_dropped"] == 2000 - MAX_VIOLATIONS


async def test_big_bodies_of_empty_objects_keep_little_memory(make_env: MakeEnv) -> None:
    """Kept parsed, each of these bodies held ~6 MiB of Python objects (traced, so kept small and few)."""
    env = await make_env()
    junk = b"[" + b",".join([b"{}"] * 100_000) + b"]"
    headers = {**env.auth(), "Content-Type": "application/json"}
    await env.client.post("/edit-chat", headers=headers, content=junk)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(3):
        assert (await env.client.post("/edit-chat", headers=headers, content=junk)).status_code == 400
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert env.control.journal()[-1]["body_truncated"]
    assert held < 512 * 1024, f"three big bodies hold {held / 1024:.0f} KiB"


@pytest.mark.parametrize(
    "body",
    [
        None,
        {"prompt": "a cat", "size": "1K"},
        {"prompt": "é" * 700, "size": "1K"},
        {"prompt": "x" * 3000},
        {"prompt": "ab" + "é" * 2000},
        [1.5, 1e16, -0.0, 2**70, None, True, "\u2028\x01"],
    ],
)
@pytest.mark.parametrize("found", [0, 40])
def test_an_entry_keeps_the_compact_json_text_and_counts_its_size(body: object, found: int) -> None:
    """The journal's record is built on every request without a ``json.dumps`` per call (hot path): its
    body is still ``json.dumps(body, ensure_ascii=False, separators=(",", ":"))`` cut at the limit
    (whole UTF-8 characters), and it counts 256 + its strings + body bytes + its violations' JSON."""
    backend = Backend(Settings(journal_body_bytes=LIMIT), fresh=True)
    violations = [{"code": "unknown_field", "field": f"f{i}"} for i in range(found)]
    before = backend.counts()["journal_bytes"]
    fields = {"method": "POST", "path": "/edit-chat", "query": "a=1", "user": "u", "status": 400, "code": "x"}
    backend.record_request(**fields, violations=violations, duration=0.5, body=body)

    entry = backend.journal()[-1]
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    cut = len(text) > LIMIT
    shown = text[:LIMIT].decode(errors="ignore") if cut else text.decode()
    if body is None:
        assert (entry["body"], entry["body_truncated"], entry["body_bytes"]) == (None, False, 0)
        shown = ""
    else:
        assert (entry["body"], entry["body_truncated"], entry["body_bytes"]) == (
            shown if cut else json.loads(text),
            cut,
            len(text),
        )
    assert (entry["violations"], entry["violations_dropped"]) == (violations[:32], max(0, found - 32))
    size = 256 + 19 + len(shown.encode()) + len(json.dumps(violations[:32]))
    assert backend.counts()["journal_bytes"] - before == size
