"""The dashboard's data (``state``) and fragments (``views``) without a server."""

from __future__ import annotations

import html

from mock_server import Backend, Settings
from mock_server.backend import User
from mock_server.http.dashboard import state, views
from mock_server.http.dashboard.markup import esc, pretty, when
from mock_server.http.dashboard.state import Output
from piktid_spec import validate_edit_chat


def _backend() -> tuple[Backend, User]:
    backend = Backend(Settings(clock="manual", seed=1, latency=1), fresh=True)
    return backend, backend.authenticate("tok-a")


def test_jobs_group_by_user_newest_first_with_local_output_links() -> None:
    backend, user = _backend()
    first = backend.edit_chat(user, {"prompt": "one", "size": "1K"}, "http://host:1").body["job_id"]
    backend.set_clock("manual")
    backend.advance(1)
    second = backend.edit_chat(user, {"prompt": "two", "size": "2K", "num_variations": 2}, "http://host:1").body
    backend.advance(1)
    jobs = state.jobs(backend)["tok-a"]
    assert [j["job_id"] for j in jobs] == [second["job_id"], first]
    outputs = jobs[0]["generations"][0]["outputs"]
    assert [o.status for o in outputs] == ["completed", "processing"]
    assert (
        outputs[0].thumbnail.startswith(f"/_mock/ui/outputs/{second['job_id']}/") and "-thumb-" in outputs[0].thumbnail
    )
    assert outputs[1].thumbnail is None
    assert jobs[0]["generations"][0]["charged"] == jobs[0]["generations"][0]["reserved"] == outputs[0].credits


def test_requests_are_newest_first_and_filter_by_status() -> None:
    backend, _ = _backend()
    for status in (202, 400, 202):
        backend.record_request(method="POST", path="/edit-chat", query="", user="u", status=status, code=None)
    assert [e["seq"] for e in state.requests(backend)] == [3, 2, 1]
    assert [e["seq"] for e in state.requests(backend, status=400)] == [2]


def test_remove_fault_drops_only_that_rule() -> None:
    backend, _ = _backend()
    kept, dropped = backend.add_fault("status", status=503), backend.add_fault("latency", delay=1)
    assert state.remove_fault(backend, dropped["id"]) and not state.remove_fault(backend, dropped["id"])
    assert [r["id"] for r in state.faults(backend)] == [kept["id"]]


def test_a_finding_shows_code_message_and_documented_sentence() -> None:
    violation = validate_edit_chat({"prompt": "x", "size": "9K"})[0].as_dict()
    fragment = views.finding(violation)
    sentence = html.escape(violation["provenance"]["text"], quote=True)
    assert f'title="{sentence}"' in fragment and f"<code>{violation['code']}</code>" in fragment
    assert html.escape(violation["message"], quote=True) in fragment


def test_views_escape_and_survive_odd_data() -> None:
    evil = "<img src=x onerror=alert(1)>\ud800"
    row = views.request_row({"seq": 1, "method": evil, "path": evil, "user": evil, "status": "x", "violations": "no"})
    assert "<img" not in row and "&lt;img" in row and "\ud800" not in row
    odd = views.finding({"provenance": [1], "severity": "<b>", "code": {"a": 1}})
    assert "<b>" not in odd and "error" in odd
    failed = views.output(Output(0, "failed", None, 1.0, evil, None, None))
    assert 'class="error-message">&lt;img' in failed
    assert views.jobs({evil: []}).count("&lt;img") == 1


def test_markup_helpers_never_raise() -> None:
    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    assert "nested too deeply" in pretty(deep)
    assert esc("a" * 10, limit=3) == "aaa…" and esc(None) == ""
    assert when(1e300) == "1e+300" and when("soon") == "soon" and when(0).startswith("1970-01-01 00:00:00")
