"""Requests that once made the mock answer 500 or left it broken: each now gets a clear 4xx.

Every case here is a concrete request a client (or a test) can send; the mock must answer below
500 and stay usable afterwards.
"""

from __future__ import annotations

import httpx
import pytest
from mock_support import ASGI_BASE, TOKEN, asgi_client
from starlette.routing import Route

from mock_server import Backend, Settings, create_app
from mock_server.testing import sample_image

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MANY_NINES = "9" * 5000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client():
    async with asgi_client(Backend(Settings(clock="manual", seed=3), fresh=True)) as c:
        yield c


async def _uploaded(client: httpx.AsyncClient, data: bytes) -> dict:
    upload = (await client.post("/upload", headers=AUTH, json={"filename": "a.png"})).json()
    put = await client.put(upload["upload_url"], content=data, headers={"Content-Type": "image/png"})
    assert put.status_code == 200
    return upload


async def test_non_ascii_signatures_are_refused_not_crashed(client: httpx.AsyncClient) -> None:
    upload = (await client.post("/upload", headers=AUTH, json={"filename": "a.png"})).json()
    file_id = upload["file_id"]
    put = await client.put(
        f"/storage/uploads/{file_id}?X-Amz-Signature=%C3%A9", content=b"x", headers={"Content-Type": "image/png"}
    )
    assert (put.status_code, put.json()["code"]) == (403, "upload_signature_mismatch")
    for path in (f"/storage/files/uploads/{file_id}/%C3%A9.png", "/storage/files/outputs/job_x/0-0-full-%C3%A9.png"):
        assert (await client.get(path)).status_code == 404


@pytest.mark.parametrize(
    "body", [b'{"prompt": "x", "foo": NaN}', b'{"prompt": "x", "n": Infinity}', b'{"prompt": "x", "n": 1e400}']
)
async def test_non_finite_numbers_are_not_json_and_the_journal_stays_readable(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post("/edit-chat", headers=AUTH, content=body)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_json")
    assert (await client.get("/_mock/journal")).status_code == 200


@pytest.mark.parametrize("seconds", ["Infinity", "NaN", "1e12", "-1", "true"])
async def test_clock_advance_takes_only_a_sane_number(client: httpx.AsyncClient, seconds: str) -> None:
    response = await client.post("/_mock/clock/advance", content=f'{{"seconds": {seconds}}}'.encode())
    assert response.status_code == 400
    assert (await client.post("/_mock/clock/advance", json={"seconds": 1})).status_code == 200
    assert (await client.post("/upload", headers=AUTH, json={})).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "status", "status": 500, "method": 5},
        {"kind": "status", "status": 500, "path": [1]},
        {"kind": "latency", "delay": "x"},
        {"kind": "latency", "delay": None},
        {"kind": "latency", "delay": -1},
        {"kind": "status", "status": 500, "token": 1},
    ],
)
async def test_a_malformed_fault_rule_is_refused_when_added(client: httpx.AsyncClient, rule: dict) -> None:
    response = await client.post("/_mock/faults", json=rule)
    assert response.status_code == 400
    assert (await client.post("/upload", headers=AUTH, json={})).status_code == 200


async def test_long_digit_runs_are_not_ids(client: httpx.AsyncClient) -> None:
    assert (await client.delete(f"/notifications/{MANY_NINES}", headers=AUTH)).status_code == 404
    assert (await client.get("/_mock/journal", params={"since": MANY_NINES})).status_code == 400
    assert (await client.get("/_mock/journal", params={"since": "²"})).status_code == 400


async def test_account_control_names_unknown_fields_and_gives_identities(client: httpx.AsyncClient) -> None:
    typo = await client.put("/_mock/accounts/t1", json={"credit": 5})
    assert (typo.status_code, typo.json()["detail"][0]["field"]) == (400, "credit")
    given = (await client.put("/_mock/accounts/t1", json={"identities": ["Zoe"]})).json()
    code = given["identities"][0]["identity_code"]
    own = await client.get(f"/identity/{code}", headers={"Authorization": "Bearer t1"})
    assert (own.status_code, own.json()["name"]) == (200, "Zoe")


async def test_a_webhook_url_on_port_zero_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.put("/webhooks", headers=AUTH, json={"url": "http://127.0.0.1:0/hook"})
    assert (response.status_code, response.json()["detail"][0]["field"]) == (400, "url")


async def test_an_input_over_7000_x_7000_pixels_is_refused_at_edit_chat(client: httpx.AsyncClient) -> None:
    upload = await _uploaded(client, sample_image(7008, 7008, mode="1"))
    response = await client.post("/edit-chat", headers=AUTH, json={"prompt": "x", "image_ids": [upload["file_id"]]})
    assert (response.status_code, response.json()["code"]) == (400, "undecodable_image")


async def test_every_400_has_a_detail_list(client: httpx.AsyncClient) -> None:
    response = await client.post("/edit-chat", headers=AUTH, content=b"{not json")
    assert response.json()["detail"] == [
        {"field": None, "message": response.json()["error"], "position": "body", "code": "invalid_json"}
    ]


async def test_a_real_server_error_is_journaled() -> None:
    async def boom(request: object) -> None:
        raise RuntimeError("a bug")

    backend = Backend(Settings(clock="manual"), fresh=True)
    app = create_app(backend=backend)
    app.router.routes.append(Route("/boom", boom))
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=ASGI_BASE) as c:
        assert (await c.get("/boom", headers=AUTH)).status_code == 500
    entry = backend.journal(path="/boom")[-1]
    assert (entry["status"], entry["code"], entry["user"]) == (500, "internal_error", TOKEN)
