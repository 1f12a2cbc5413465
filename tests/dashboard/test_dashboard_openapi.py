"""``GET /openapi.json`` is the spec's document with this mock as server; ``GET /docs`` renders it offline."""

from __future__ import annotations

import re

import httpx
from click.testing import CliRunner
from openapi_spec_validator import validate

from mock_server import cli
from mock_server.testing import LiveServer
from piktid_spec import openapi


def test_openapi_json_is_the_spec_document_with_this_mock_as_server(server: LiveServer) -> None:
    served = httpx.get(server.url + "/openapi.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    document = served.json()
    validate(document)
    assert document.pop("servers") == [{"url": server.url}]
    expected = openapi()
    expected.pop("servers")
    assert document == expected


def test_docs_lists_every_operation_and_schema_with_no_outside_link(server: LiveServer) -> None:
    page = httpx.get(server.url + "/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    document = openapi()
    for path, item in document["paths"].items():
        for method in item:
            assert f'<span class="method">{method}</span> <code>{path}</code>' in page.text
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page.text
    assert server.url in page.text
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page.text)


def test_the_serve_banner_prints_the_dashboard_and_docs_urls(monkeypatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    output = CliRunner().invoke(cli.main, ["serve", "--port", "8765"]).output
    assert "dashboard: http://127.0.0.1:8765/_mock/" in output
    assert "API reference: http://127.0.0.1:8765/docs" in output and "http://127.0.0.1:8765/openapi.json" in output
    off = CliRunner().invoke(cli.main, ["serve", "--no-control"]).output
    assert "dashboard and control API: off" in off
