"""Hostile input (issue #16): lone surrogates and deep nesting get a 4xx naming the field, never a 5xx later.

Each defect the hardening issue lists is a regression test through the app; then a property test
sends arbitrary JSON (surrogates and deep nesting included) to every JSON endpoint and reads the
journal, results, identities and notifications back. It runs the ``fast`` profile in ``make test``
and the ``thorough`` one in ``make contract``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from mock_support import TOKEN, asgi_client

from mock_server import Backend, Settings
from mock_server.testing import sample_image

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": f"Bearer {TOKEN}"}
READS = [
    ("GET", "/_mock/journal"),
    ("GET", "/identity"),
    ("POST", "/notifications"),
    ("GET", "/_mock/notifications"),
    ("GET", "/_mock/deliveries"),
    ("GET", "/project"),
    ("GET", "/_mock/"),
    ("GET", "/_mock/ui/live"),
]
"""What a user's stored input could break later (plus the job's status and results); ``/_mock/`` is the dashboard."""


@pytest.fixture
async def client() -> Any:
    async with asgi_client(Backend(Settings(clock="manual", seed=3), fresh=True)) as c:
        yield c


def body(text: str) -> bytes:
    """``text`` is JSON source (so ``\\ud800`` stays an escape, as a client would send it)."""
    return text.encode("ascii")


async def assert_reads_back(client: httpx.AsyncClient, job_id: str | None = None) -> None:
    """Every read that shows stored input answers 200."""
    job_reads = [("GET", f"/jobs/{job_id}/status"), ("GET", f"/jobs/{job_id}/results")] if job_id else []
    for method, path in READS + job_reads:
        response = await client.request(method, path, headers=AUTH)
        assert response.status_code == 200, (path, response.text)


async def refused(client: httpx.AsyncClient, path: str, content: bytes) -> dict[str, Any]:
    response = await client.post(path, headers=AUTH | {"Content-Type": "application/json"}, content=content)
    assert response.status_code == 400, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_prompt_with_a_lone_surrogate_is_a_400_naming_prompt(client: httpx.AsyncClient) -> None:
    answer = await refused(client, "/edit-chat", body('{"prompt": "a \\ud800"}'))
    assert (answer["code"], answer["detail"][0]["field"]) == ("invalid_parameter", "prompt")
    assert "surrogate" in answer["error"]
    await assert_reads_back(client)


async def test_an_upload_filename_with_a_lone_surrogate_is_a_400_naming_filename(client: httpx.AsyncClient) -> None:
    answer = await refused(client, "/upload", body('{"filename": "\\udfff.png"}'))
    assert answer["detail"][0]["field"] == "filename"
    await assert_reads_back(client)


async def test_an_unknown_field_nested_600_deep_is_a_400_and_the_journal_stays_readable(
    client: httpx.AsyncClient,
) -> None:
    nested = '{"prompt": "a cat", "extra": ' + "[" * 600 + "]" * 600 + "}"
    answer = await refused(client, "/edit-chat", body(nested))
    assert answer["detail"][0]["field"] == "extra"
    assert "nested deeper than 64" in answer["error"]
    await assert_reads_back(client)


async def test_nesting_up_to_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    nested = '{"prompt": "a cat", "extra": ' + "[" * 63 + "]" * 63 + "}"
    response = await client.post("/edit-chat", headers=AUTH, content=body(nested))
    assert response.status_code == 202, response.text
    await assert_reads_back(client, response.json()["job_id"])


@pytest.mark.parametrize(
    ("source", "code"),
    [('{"\\ud800": 1}', "invalid_json"), ('{"prompt": "x", "a": {"\\udc00": 1}}', "invalid_parameter")],
)
async def test_keys_with_lone_surrogates_are_refused(client: httpx.AsyncClient, source: str, code: str) -> None:
    assert (await refused(client, "/edit-chat", body(source)))["code"] == code
    await assert_reads_back(client)


def multipart(filename: bytes, name: bytes) -> bytes:
    return (
        b'--B\r\nContent-Disposition: form-data; name="image"; filename="' + filename + b'"\r\n'
        b"Content-Type: image/png\r\n\r\n" + sample_image() + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\n' + name + b"\r\n--B--\r\n"
    )


@pytest.mark.parametrize(
    ("charset", "filename", "name", "field"),
    [
        ("unicode_escape", b"\\udc80.png", b"Jane", "image"),
        ("utf-7", b"+3IA-.png", b"Jane", "image"),
        ("unicode_escape", b"face.png", b"J\\ud800ne", "name"),
    ],
)
async def test_multipart_parts_decoding_to_lone_surrogates_are_a_400_naming_the_part(
    client: httpx.AsyncClient, charset: str, filename: bytes, name: bytes, field: str
) -> None:
    """A declared charset decodes the parts; ``unicode_escape`` and ``utf-7`` can yield lone surrogates."""
    content_type = f"multipart/form-data; boundary=B; charset={charset}"
    response = await client.post(
        "/identity/upload", headers=AUTH | {"Content-Type": content_type}, content=multipart(filename, name)
    )
    assert response.status_code == 400, response.text
    assert response.json()["detail"][0]["field"] == field
    await assert_reads_back(client)


# --- every JSON endpoint, arbitrary JSON ---------------------------------------------------------

JSON_ENDPOINTS = [
    ("POST", "/edit-chat"),
    ("POST", "/upload"),
    ("POST", "/project"),
    ("POST", "/notifications"),
    ("PUT", "/webhooks"),
    ("POST", "/_mock/reset"),
    ("PUT", f"/_mock/accounts/{TOKEN}"),
    ("PUT", "/_mock/clock"),
    ("POST", "/_mock/clock/advance"),
]
"""Every endpoint that reads a JSON body (``/_mock/faults`` injects 5xx on purpose, so it is left out)."""

hostile_text = st.text(st.characters() | st.integers(0xD800, 0xDFFF).map(chr), max_size=12)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile_text, children, max_size=4),
    max_leaves=12,
)


def nest(value: object, depth: int) -> object:
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


hostile_json = json_values | st.builds(nest, json_values, st.integers(0, 120))
edit_chat_bodies = st.builds(
    lambda extra, prompt: {**extra, "prompt": prompt},
    st.dictionaries(hostile_text, hostile_json, max_size=3),
    hostile_text,
)
"""A prompt plus anything: some get accepted, so what they carry is stored and read back."""


def reaches_network(path: str, payload: object) -> bool:
    """Whether PUT /webhooks would POST a ping somewhere (no test may reach the network)."""
    return path == "/webhooks" and isinstance(payload, dict) and isinstance(payload.get("url"), str)


@given(
    endpoint=st.sampled_from(JSON_ENDPOINTS),
    payload=hostile_json | edit_chat_bodies,
    top_level=st.none() | st.dictionaries(hostile_text, hostile_json, max_size=3),
)
async def test_arbitrary_json_to_any_json_endpoint_never_yields_a_5xx_then_or_later(
    endpoint: tuple[str, str], payload: object, top_level: dict[str, object] | None
) -> None:
    method, path = endpoint
    assume(not reaches_network(path, payload))
    async with asgi_client(Backend(Settings(clock="manual", seed=1), fresh=True)) as client:
        started = await client.post("/edit-chat", headers=AUTH, json={"prompt": "a red bicycle", "size": "1K"})
        content = json.dumps(payload if top_level is None else {**top_level, "value": payload}).encode()
        response = await client.request(method, path, headers=AUTH, content=content)
        assert response.status_code < 500, response.text
        await assert_reads_back(client, None if path == "/_mock/reset" else started.json()["job_id"])


CHARSETS = ("utf-8", "utf-7", "unicode_escape", "raw_unicode_escape", "utf-16", "latin-1", "no-such-codec")
part_bytes = st.binary(max_size=12) | st.sampled_from([b"\\ud800", b"+2AA-", b"\\U0010ffff", b"\xed\xa0\x80", b'"'])


@given(
    charset=st.sampled_from(CHARSETS),
    filename=part_bytes,
    name=part_bytes,
    part_name=st.sampled_from([b"name", b"tag", b"\\udc00", b"+3AA-"]),
)
async def test_arbitrary_multipart_parts_never_yield_a_5xx_then_or_later(
    charset: str, filename: bytes, name: bytes, part_name: bytes
) -> None:
    content = (
        b'--B\r\nContent-Disposition: form-data; name="image"; filename="' + filename.replace(b'"', b"") + b'"\r\n'
        b"Content-Type: image/png\r\n\r\n" + sample_image() + b"\r\n"
        b'--B\r\nContent-Disposition: form-data; name="' + part_name + b'"\r\n\r\n' + name + b"\r\n--B--\r\n"
    )
    async with asgi_client(Backend(Settings(clock="manual", seed=1), fresh=True)) as client:
        response = await client.post(
            "/identity/upload",
            headers=AUTH | {"Content-Type": f"multipart/form-data; boundary=B; charset={charset}"},
            content=content,
        )
        assert response.status_code < 500, response.text
        await assert_reads_back(client)
