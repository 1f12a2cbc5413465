"""The load test passes on a healthy mock, and each of its checks fails on the fault it looks for."""

from __future__ import annotations

import json

from benchmarks._load_checks import credit_problems, growth_problems, stream_problems, webhook_problems
from benchmarks._load_receiver import Receipt
from benchmarks._load_users import Generation, Stream, User
from benchmarks.load import Options, run, store_problem
from mock_server.testing import need_tool
from mock_server.webhooks import sign


def _user() -> User:
    user = User("u", flaky=False, secret="s3cret")
    user.jobs["job_a"] = [Generation("2K", 2, failed=False), Generation("4K", 1, failed=True)]
    return user


def _image_result(key: tuple[str, int, int], nid: int, status: str = "completed") -> dict[str, object]:
    return {
        "id": nid,
        "name": "image_result",
        "data": {"id_task": key[0], "image_index": key[1], "group_index": key[2], "status": status},
    }


def test_short_load_passes_on_the_mock() -> None:
    said: list[str] = []
    outcome = run(Options(seconds=2.0, users=3, concurrency=1), say=said.append)
    assert outcome.passed, outcome.problems
    assert outcome.verdict.startswith("LOAD PASS")
    assert any("rate limit: raised" in line for line in outcome.lines)


def test_short_load_passes_on_redis_with_two_workers() -> None:
    """The same exact accounting when requests, streams and completions spread over two processes."""
    need_tool("redis-server")
    said: list[str] = []
    outcome = run(Options(seconds=2.0, users=4, concurrency=1, store="redis", workers=2), say=said.append)
    assert outcome.passed, outcome.problems
    assert outcome.verdict.startswith("LOAD PASS Redis store x 2 worker(s)")


def test_several_workers_on_the_memory_store_is_refused_before_anything_starts() -> None:
    assert store_problem(Options(workers=2)) is not None
    assert store_problem(Options(store="mysql://x")) is not None
    assert store_problem(Options(store="redis://127.0.0.1:1/0", workers=2)) is None


def test_credits_must_match_completed_variations_exactly() -> None:
    user = _user()
    exact = {"credits": 1000 - 10, "in_progress_credits": 0, "charged_credits": 10}
    assert credit_problems(user, exact, 1000) == []
    assert credit_problems(user, {**exact, "credits": 980}, 1000)
    assert credit_problems(user, {**exact, "in_progress_credits": 10}, 1000)


def test_a_duplicated_or_missing_image_result_fails_the_stream_check() -> None:
    user = _user()
    stream = Stream()
    for nid, (key, status) in enumerate(user.expected().items(), 1):
        stream.note(_image_result(key, nid, status))
    user.streams.append(stream)
    assert stream_problems(user) == []
    stream.note(_image_result(("job_a", 0, 0), 99))
    assert any("not seen exactly once" in p for p in stream_problems(user))


def test_an_image_result_with_the_wrong_status_fails_the_stream_check() -> None:
    user = _user()
    stream = Stream()
    for nid, key in enumerate(user.expected(), 1):
        stream.note(_image_result(key, nid, "completed"))
    user.streams.append(stream)
    assert any("wrong status" in p for p in stream_problems(user))


def test_two_successful_deliveries_of_one_variation_fail_the_webhook_check() -> None:
    user = _user()
    user.jobs = {"job_a": [Generation("1K", 1, failed=False)]}
    body = json.dumps(_image_result(("job_a", 0, 0), 1)).encode()
    once = [Receipt("u", "dlv_1", 1, "image_result", 204, body, sign("s3cret", body))]
    delivered = [{"event": "image_result", "status": "delivered"}]
    assert webhook_problems(user, once, delivered) == []
    twice = once + [Receipt("u", "dlv_2", 1, "image_result", 204, body, sign("s3cret", body))]
    assert any("exactly one" in p for p in webhook_problems(user, twice, delivered + delivered))
    forged = [Receipt("u", "dlv_1", 1, "image_result", 204, body, "sha256=00")]
    assert any("bad signature" in p for p in webhook_problems(user, forged, delivered))


def test_leftover_tasks_or_subscriptions_fail_the_growth_check() -> None:
    calm = {"tasks": 5, "webhook_tasks": 0, "subscriptions": 0, "rss_kib": 50_000}
    assert growth_problems(calm, calm, calm, []) == []
    assert growth_problems(calm, calm, {**calm, "tasks": 40}, [])
    assert growth_problems(calm, calm, {**calm, "subscriptions": 2}, [])
    leaking = [{"requests": i * 100, "rss_kib": 50_000 + i * 100 * 200} for i in range(8)]
    assert any("per request" in p for p in growth_problems(calm, calm, calm, leaking))
