"""The dashboard over HTTP: status codes, escaping of what users sent, forms, the token gate, --no-control."""

from __future__ import annotations

import re

import httpx
import pytest

from conftest import JOB, TOKEN
from mock_server import Settings
from mock_server.testing import LiveServer

EVIL = "<script>alert('x')</script>"


def test_the_page_lists_the_requests_jobs_and_accounts_the_api_saw(server: LiveServer, api: httpx.Client) -> None:
    assert api.post("/edit-chat", json=JOB).status_code == 202
    assert api.post("/edit-chat", json={**JOB, "size": "9K"}).status_code == 400
    page = httpx.get(server.url + "/_mock/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    rows = re.findall(r'<tr class="request".*?</tr>', page.text, re.S)
    assert len(rows) == 2 and "invalid_size" in rows[0] and "/edit-chat" in rows[1]
    assert 'class="job"' in page.text and f'data-token="{TOKEN}"' in page.text


def test_mock_without_a_slash_redirects_to_the_dashboard(server: LiveServer) -> None:
    answer = httpx.get(server.url + "/_mock")
    assert answer.status_code == 308 and answer.headers["location"] == "/_mock/"


def test_a_violation_carries_its_documented_sentence_on_hover_and_expand(server: LiveServer, api: httpx.Client) -> None:
    api.post("/edit-chat", json={**JOB, "num_variations": 99})
    entry = server.control.journal()[-1]
    sentence = entry["violations"][0]["provenance"]["text"]
    page = httpx.get(server.url + "/_mock/").text
    escaped = sentence.replace("&", "&amp;").replace('"', "&quot;").replace("'", "&#x27;")
    escaped = escaped.replace("<", "&lt;").replace(">", "&gt;")
    assert f'<summary title="{escaped}">' in page and f"{entry['violations'][0]['code']}</code>" in page


def test_what_users_sent_is_escaped_everywhere(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {EVIL}"}) as evil:
        evil.post("/edit-chat", json={**JOB, "prompt": EVIL})
    server.control.advance(5)
    for url in ("/_mock/", "/_mock/ui/live"):
        body = httpx.get(server.url + url).text
        assert "<script>alert" not in body and "&lt;script&gt;alert(&#x27;x&#x27;)" in body.replace("\\u0026", "&")


def test_odd_stored_data_renders_instead_of_failing(server: LiveServer) -> None:
    """A lone surrogate in a prompt and a deeply nested body are stored; the page still renders."""
    deep = "[" * 900 + "]" * 900
    raw = '{"prompt": "bad \\ud800 text", "size": "1K", "extra": ' + deep + "}"
    answer = httpx.post(
        server.url + "/edit-chat",
        content=raw.encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert answer.status_code in (202, 400)
    for url in ("/_mock/", "/_mock/ui/live"):
        assert httpx.get(server.url + url).status_code == 200


def test_the_filters_narrow_the_journal(server: LiveServer, api: httpx.Client) -> None:
    api.post("/edit-chat", json=JOB)
    api.post("/edit-chat", json={**JOB, "size": "9K"})
    api.get("/identity")
    by_status = httpx.get(server.url + "/_mock/", params={"status": "400"}).text
    by_path = httpx.get(server.url + "/_mock/", params={"path": "/identity"}).text
    assert by_status.count('<tr class="request"') == 1 and "invalid_size" in by_status
    assert by_path.count('<tr class="request"') == 1
    assert httpx.get(server.url + "/_mock/", params={"user": "nobody"}).text.count('<tr class="request"') == 0
    assert httpx.get(server.url + "/_mock/", params={"status": "abc"}).status_code == 400


def test_a_failed_variation_shows_its_error_message(server: LiveServer, api: httpx.Client) -> None:
    api.post("/edit-chat", json={**JOB, "model": "nano_banana_pro", "prompt": "engine-refusal please"})
    server.control.advance(5)
    page = httpx.get(server.url + "/_mock/").text
    assert '<p class="error-message">The nano_banana_pro engine refused this request.' in page


def test_the_account_form_sets_plan_and_credits(server: LiveServer) -> None:
    answer = httpx.post(server.url + "/_mock/ui/account", data={"token": TOKEN, "plan": "free", "credits": "7"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/_mock/?notice=")
    account = server.control.account(TOKEN)
    assert account is not None and (account["plan"], account["credits"]) == ("free", 7)


@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/_mock/ui/account", {"token": TOKEN, "credits": "lots"}, "credits"),
        ("/_mock/ui/account", {"token": TOKEN, "plan": "platinum"}, "plan"),
        ("/_mock/ui/account", {"credits": "1"}, "token"),
        ("/_mock/ui/reset", {}, "confirm"),
        ("/_mock/ui/clock", {"mode": "fast"}, "mode"),
        ("/_mock/ui/advance", {"seconds": "-1"}, "seconds"),
        ("/_mock/ui/faults", {"kind": "status"}, "status"),
        ("/_mock/ui/faults", {"kind": "explode"}, "kind"),
        ("/_mock/ui/faults/remove", {"id": "99"}, "99"),
    ],
)
def test_bad_form_input_is_a_4xx_page_naming_the_field(server: LiveServer, path: str, form: dict, field: str) -> None:
    answer = httpx.post(server.url + path, data=form)
    assert 400 <= answer.status_code < 500
    assert 'role="alert"' in answer.text and field in re.search(r'role="alert">(.*?)</p>', answer.text).group(1)


def test_reset_clock_and_fault_forms_reach_the_mock(server: LiveServer, api: httpx.Client) -> None:
    api.post("/edit-chat", json=JOB)
    assert httpx.post(server.url + "/_mock/ui/advance", data={"seconds": "5"}).status_code == 303
    assert {n["name"] for n in server.control.notifications()} == {"batch_edit", "image_result"}
    httpx.post(server.url + "/_mock/ui/faults", data={"kind": "status", "status": "503", "path": "/identity"})
    assert api.get("/identity").status_code == 503 and api.get("/identity").status_code == 200
    httpx.post(server.url + "/_mock/ui/faults", data={"kind": "latency", "delay": "1", "every": "yes"})
    assert httpx.get(server.url + "/_mock/faults").json()[0]["times"] is None
    rule = httpx.get(server.url + "/_mock/faults").json()[0]
    assert httpx.post(server.url + "/_mock/ui/faults/remove", data={"id": str(rule["id"])}).status_code == 303
    assert httpx.get(server.url + "/_mock/faults").json() == []
    assert httpx.post(server.url + "/_mock/ui/reset", data={"confirm": "yes"}).status_code == 303
    assert server.control.journal() == [] and server.control.notifications() == []


def test_a_cross_site_form_post_is_refused(server: LiveServer) -> None:
    answer = httpx.post(
        server.url + "/_mock/ui/reset", data={"confirm": "yes"}, headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403


def test_assets_are_shipped_in_the_package(server: LiveServer) -> None:
    css = httpx.get(server.url + "/_mock/ui/static/dashboard.css")
    js = httpx.get(server.url + "/_mock/ui/static/dashboard.js")
    assert css.status_code == js.status_code == 200 and "text/javascript" in js.headers["content-type"]
    assert httpx.get(server.url + "/_mock/ui/static/../app.py").status_code == 404


def test_no_control_turns_the_dashboard_off() -> None:
    with LiveServer(Settings(control=False)) as off, httpx.Client(base_url=off.url) as client:
        for path in ("/_mock", "/_mock/", "/_mock/ui/live", "/_mock/ui/static/dashboard.js"):
            assert client.get(path, follow_redirects=False).status_code == 404
        assert client.post("/_mock/ui/reset", data={"confirm": "yes"}).status_code == 404
        assert client.get("/docs").status_code == 200


def test_with_a_control_token_nothing_is_accepted_without_it() -> None:
    settings = Settings(control_token="s3cret", clock="manual")
    with LiveServer(settings) as gated, httpx.Client(base_url=gated.url) as client:
        page = client.get("/_mock/")
        assert page.status_code == 401 and 'id="login-form"' in page.text and "s3cret" not in page.text
        assert client.get("/_mock/ui/live").status_code == 401
        assert client.get("/_mock/ui/static/dashboard.js").status_code == 401
        assert client.post("/_mock/ui/reset", data={"confirm": "yes"}).status_code == 401
        assert client.post("/_mock/ui/account", data={"token": "t", "credits": "0"}).status_code == 401
        assert client.post("/_mock/ui/login", data={"token": "wrong"}).status_code == 401
        assert client.get("/_mock/", headers={"X-Mock-Control-Token": "s3cret"}).status_code == 200
        login = client.post("/_mock/ui/login", data={"token": "s3cret"}, follow_redirects=False)
        assert login.status_code == 303 and "httponly" in login.headers["set-cookie"].lower()
        assert client.get("/_mock/").status_code == 200 and client.get("/_mock/ui/live").status_code == 200
