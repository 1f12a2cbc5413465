"""The control API is safe by default (issue #16): tokens masked in the journal, guarded, warned about."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from mock_support import asgi_client

from mock_server import Backend, Settings, cli

pytestmark = pytest.mark.anyio
SECRET = "tok-4f9c2e7a1b8d6053"


@pytest.fixture
async def client() -> Any:
    async with asgi_client(Backend(Settings(clock="manual", seed=3), fresh=True)) as c:
        yield c


async def test_the_journal_masks_bearer_tokens_to_a_short_prefix(client: httpx.AsyncClient) -> None:
    await client.post("/upload", headers={"Authorization": f"Bearer {SECRET}"}, json={})
    await client.get("/identity", params={"token": SECRET}, headers={"Authorization": "Bearer tok-other-user"})
    response = await client.get("/_mock/journal")
    assert SECRET not in response.text
    upload, listing = response.json()
    assert upload["user"] == "tok-4f…"
    assert listing["query"] == "token=tok-4f…"


async def test_the_journal_is_still_filtered_by_the_full_token(client: httpx.AsyncClient) -> None:
    for token in (SECRET, "tok-other-user"):
        await client.post("/upload", headers={"Authorization": f"Bearer {token}"}, json={})
    entries = (await client.get("/_mock/journal", params={"user": SECRET})).json()
    assert [e["user"] for e in entries] == ["tok-4f…"]


@pytest.mark.parametrize(
    ("header", "status"),
    [(b"s3cret-control", 200), (b"s3cret-contro", 401), (b"", 401), ("s3cret-contrôl".encode(), 401)],
)
async def test_the_control_token_guard_accepts_only_the_token(header: bytes, status: int) -> None:
    """Any header, non-ASCII bytes included, is a 200 or a 401 (a ``str`` compare_digest would raise)."""
    backend = Backend(Settings(clock="manual", control_token="s3cret-control"), fresh=True)
    async with asgi_client(backend) as client:
        response = await client.get("/_mock/journal", headers=[(b"X-Mock-Control-Token", header)])
    assert response.status_code == status


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(app=app, **kwargs))
    return seen


@pytest.mark.parametrize(
    ("args", "warned"),
    [
        (["--host", "0.0.0.0"], True),
        (["--host", "192.168.1.20"], True),
        (["--host", "::"], True),
        (["--host", "0.0.0.0", "--control-token", "t"], False),
        (["--host", "0.0.0.0", "--no-control"], False),
        (["--host", "127.0.0.1"], False),
        (["--host", "localhost"], False),
        (["--host", "::1"], False),
    ],
)
def test_serve_warns_when_the_control_api_is_open_beyond_loopback(
    served: dict[str, Any], args: list[str], warned: bool
) -> None:
    result = CliRunner().invoke(cli.main, ["serve", *args])
    assert result.exit_code == 0, result.output
    assert ("WARNING: the control API" in result.stderr) is warned
