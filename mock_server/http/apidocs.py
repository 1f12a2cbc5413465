"""``GET /openapi.json`` (``piktid_spec.openapi()`` served by this mock) and ``GET /docs`` (its reference page).

Both work offline: the page is rendered here from the same document, styled by the stylesheet the
package ships (inlined, so the page works with the control API off too), with no script and no CDN.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from mock_server.http.dashboard.markup import esc, pretty
from mock_server.http.parsing import backend_of, base_url
from piktid_spec import openapi

METHODS = ("get", "post", "put", "delete", "patch")


def document(request: Request) -> dict[str, Any]:
    """The spec's OpenAPI document whose one server is this mock (``--public-url`` or the request's host)."""
    doc = openapi()
    doc["servers"] = [{"url": backend_of(request).settings.public_url or base_url(request)}]
    return doc


async def openapi_json(request: Request) -> Response:
    return JSONResponse(document(request))


@cache
def _css() -> str:
    return resources.files("mock_server.http.dashboard").joinpath("static", "dashboard.css").read_text("utf-8")


def _ref(schema: object) -> str:
    """A schema as a link to its component, or as escaped JSON when it is inline."""
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{esc(name)}"><code>{esc(name)}</code></a>'
    return f"<pre>{pretty(schema)}</pre>"


def _content(content: object) -> str:
    items = content.items() if isinstance(content, dict) else ()
    return "".join(f"<div><code>{esc(kind)}</code> {_ref((body or {}).get('schema'))}</div>" for kind, body in items)


def _parameters(params: list[dict[str, Any]]) -> str:
    if not params:
        return ""
    rows = "".join(
        f"<tr><td><code>{esc(p.get('name'))}</code></td><td>{esc(p.get('in'))}</td>"
        f"<td>{'yes' if p.get('required') else ''}</td><td><code>{esc(pretty(p.get('schema'), 300))}</code></td></tr>"
        for p in params
    )
    return f"<table><thead><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr></thead>{rows}</table>"


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    body = op.get("requestBody") or {}
    request = f"<h4>Request body</h4>{_content(body.get('content'))}" if body else ""
    responses = "".join(
        f"<tr><td><b>{esc(status)}</b></td><td>{esc(r.get('description'))}</td><td>{_content(r.get('content'))}</td></tr>"
        for status, r in (op.get("responses") or {}).items()
    )
    auth = " · no Authorization" if op.get("security") == [] else ""
    anchor = f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", "")
    return (
        f'<div class="op" id="{esc(anchor)}"><span class="method">{esc(method)}</span> <code>{esc(path)}</code>'
        f"<p>{esc(op.get('summary'))}{auth}</p>{_parameters(op.get('parameters') or [])}{request}"
        f"<h4>Responses</h4><table>{responses}</table></div>"
    )


def _operations(paths: dict[str, Any]) -> str:
    return "".join(
        _operation(path, method, item[method]) for path, item in paths.items() for method in METHODS if method in item
    )


def render(doc: dict[str, Any]) -> str:
    """The reference page of ``doc``: servers, every operation, webhooks and schemas; all text escaped."""
    info = doc.get("info") or {}
    servers = ", ".join(f"<code>{esc(s.get('url'))}</code>" for s in doc.get("servers") or ())
    schemas = (doc.get("components") or {}).get("schemas") or {}
    schema_list = "".join(
        f'<div class="op" id="schema-{esc(name)}"><h4>{esc(name)}</h4><pre>{pretty(schema, 20000)}</pre></div>'
        for name, schema in schemas.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<title>{esc(info.get("title"))}</title><link rel="icon" href="data:,"><style>{_css()}</style></head><body>'
        f'<header><h1>{esc(info.get("title"))}</h1><nav><a href="/openapi.json">openapi.json</a>'
        '<a href="/_mock/">dashboard</a></nav></header><main>'
        f"<section><p>Version {esc(info.get('version'))} · OpenAPI {esc(doc.get('openapi'))} · server {servers} · "
        "authentication: <code>Authorization: Bearer &lt;token&gt;</code></p></section>"
        f'<section id="operations"><h2>Operations</h2>{_operations(doc.get("paths") or {})}</section>'
        f'<section id="webhooks"><h2>Webhooks</h2>{_operations(doc.get("webhooks") or {})}</section>'
        f'<section id="schemas"><h2>Schemas</h2>{schema_list}</section></main></body></html>'
    )


async def docs(request: Request) -> Response:
    return HTMLResponse(
        render(document(request)),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
    )
