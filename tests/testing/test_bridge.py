"""``mock_piktid``: sync and async httpx reach the in-process mock, bodies stream, hosts are routed."""

from __future__ import annotations

import inspect
import json

import anyio
import httpx
import pytest
import respx
from httpx_sse import aconnect_sse, connect_sse

from mock_server import Settings
from mock_server.testing import MockControl, mock_piktid

API = "https://v2.api.piktid.com"
AUTH = {"Authorization": "Bearer bridge-user"}
JOB = {"prompt": "a red bicycle", "size": "1K"}


def test_a_sync_client_gets_sse_frames_while_the_job_runs():
    with mock_piktid(clock="manual", latency=10) as control, httpx.Client(base_url=API, headers=AUTH, timeout=5) as api:
        with connect_sse(api, "GET", "/notifications/events") as source:
            events = source.iter_sse()
            assert next(events).event == "backfill_complete"
            job_id = api.post("/edit-chat", json=JOB).json()["job_id"]
            processing = json.loads(next(events).data)
            assert (processing["name"], processing["data"]["status"]) == ("batch_edit", "processing")
            control.advance(10)
            result = json.loads(next(events).data)
            assert result["name"] == "image_result" and result["data"]["id_task"] == job_id
            assert control.open_streams() == 1
        assert control.open_streams() == 0  # closing the response disconnected the stream at once


@pytest.mark.anyio
async def test_an_async_client_gets_sse_frames_while_the_job_runs():
    async with (
        mock_piktid(clock="manual", latency=10) as control,
        httpx.AsyncClient(base_url=API, headers=AUTH, timeout=5) as api,
    ):
        async with aconnect_sse(api, "GET", "/notifications/events") as source:
            events = source.aiter_sse()
            assert (await anext(events)).event == "backfill_complete"
            await api.post("/edit-chat", json=JOB)
            assert json.loads((await anext(events)).data)["data"]["status"] == "processing"
            control.advance(10)
            assert json.loads((await anext(events)).data)["name"] == "image_result"
        assert control.open_streams() == 0


@pytest.mark.anyio
async def test_cancelling_an_async_reader_frees_its_stream():
    async with mock_piktid() as control, httpx.AsyncClient(base_url=API, headers=AUTH) as api:
        with anyio.move_on_after(0.2):
            async with api.stream("GET", "/notifications/events") as response:
                async for _ in response.aiter_lines():
                    pass
        assert control.open_streams() == 0


def test_the_clients_read_timeout_applies_to_each_chunk():
    with (
        mock_piktid(),
        httpx.Client(base_url=API, headers=AUTH, timeout=0.2) as api,
        api.stream("GET", "/notifications/events") as response,
        pytest.raises(httpx.ReadTimeout),
    ):
        for _ in response.iter_lines():
            pass


def test_upload_and_output_links_use_the_base_url_and_head_has_no_body():
    with mock_piktid(base_url="http://mock.test:8080", clock="manual"):
        with httpx.Client(base_url="http://mock.test:8080", headers=AUTH) as api:
            upload = api.post("/upload", json={"filename": "a.png"}).json()
            job_id = api.post("/edit-chat", json=JOB).json()["job_id"]
        assert upload["upload_url"].startswith("http://mock.test:8080/storage/uploads/")
        with httpx.Client(base_url="http://mock.test:8080", headers=AUTH) as api:
            api.post("/_mock/clock/advance", json={"seconds": 1})
            link = api.get(f"/jobs/{job_id}/results").json()["results"][0]["output"]["full_size"]
            assert link.startswith("http://mock.test:8080/storage/files/outputs/")
            head = httpx.head(link)
    assert (head.status_code, head.content) == (200, b"")


def test_loopback_passes_through_and_other_hosts_are_refused(receiver):
    with mock_piktid():
        assert httpx.post(receiver.url, content=b"hello").status_code == 204
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get("https://example.com/")
    assert receiver.next().body == b"hello"


def test_it_composes_with_the_users_own_respx_routes():
    with mock_piktid(), respx.mock(assert_all_called=False) as other:
        other.get("https://other.example/ping").respond(200, json={"pong": True})
        assert httpx.get("https://other.example/ping").json() == {"pong": True}
        assert httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB).status_code == 202


def test_each_entry_is_a_fresh_mock():
    mock = mock_piktid()
    with mock as first:
        httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB)
        assert len(first.journal()) == 1
        with pytest.raises(RuntimeError):
            mock.__enter__()
    with mock as second:
        assert second.journal() == []


def test_latency_clock_and_seed_override_settings():
    with mock_piktid(settings=Settings(latency=7, control_token="t"), clock="manual", seed=3) as control:
        job_id = httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB).json()["job_id"]
        control.advance(6.9)
        assert [n["name"] for n in control.notifications()] == ["batch_edit"]
        control.advance(0.1)
        result = control.notifications()[1]
        assert (result["name"], result["data"]["id_task"], result["data"]["status"]) == (
            "image_result",
            job_id,
            "completed",
        )
        assert (control.backend.settings.seed, control.backend.settings.control_token) == (3, "t")


@pytest.mark.parametrize("base_url", ["ftp://x.test", "https://x.test/api", "https://x.test?a=1", "not a url"])
def test_a_base_url_with_a_path_or_another_scheme_is_refused(base_url):
    with pytest.raises(ValueError, match="base_url"):
        mock_piktid(base_url=base_url)


@mock_piktid(clock="manual")
def test_as_a_sync_decorator_it_injects_the_control(piktid_mock):
    httpx.post(f"{API}/edit-chat", headers=AUTH, json=JOB)
    assert piktid_mock.pending() == 1


@pytest.mark.anyio
@mock_piktid()
async def test_as_an_async_decorator_it_injects_the_control(piktid_mock):
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{API}/edit-chat", headers=AUTH, json=JOB)).status_code == 202
    assert [e["path"] for e in piktid_mock.journal()] == ["/edit-chat"]


def test_a_decorated_function_gets_a_fresh_mock_per_call_and_hides_the_parameter():
    seen: list[int] = []

    @mock_piktid()
    def call(piktid_mock: MockControl, n: int) -> None:
        seen.append(len(piktid_mock.journal()))
        for _ in range(n):
            httpx.post(f"{API}/upload", headers=AUTH, json={})

    call(n=2)
    call(n=1)
    assert seen == [0, 0]
    assert list(inspect.signature(call).parameters) == ["n"]
