"""Whole pages: the dashboard (every section, live ones marked ``data-live``) and the token form."""

from __future__ import annotations

from string import Template
from typing import Any

from mock_server.backend.faults import KINDS, STATUS_CODES
from mock_server.http.dashboard import views
from mock_server.http.dashboard.markup import esc

STATIC = "/_mock/ui/static"

_PAGE = Template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>piktid-mock dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><link rel="stylesheet" href="$static/dashboard.css">
<script src="$static/dashboard.js" defer></script></head>
<body data-live-url="/_mock/ui/live">
<header><h1>piktid-mock</h1><nav><a href="#requests">Requests</a> <a href="#jobs">Jobs</a>
<a href="#events">Events</a> <a href="#accounts">Accounts</a> <a href="#controls">Controls</a>
<a href="/docs">API reference</a> <a href="/openapi.json">openapi.json</a></nav>
<span id="live-status" class="live">live</span></header>
$banner
<main>
<section id="requests"><h2>Requests</h2>$filter<div data-live="requests">$requests</div></section>
<section id="jobs"><h2>Jobs</h2><div data-live="jobs">$jobs</div></section>
<section id="events"><h2>Events</h2><div data-live="events">$events</div></section>
<section id="accounts"><h2>Accounts</h2><div data-live="accounts">$accounts</div>$account_form</section>
<section id="controls"><h2>Controls</h2><div data-live="clock">$clock</div>$controls
<h3>Fault rules</h3><div data-live="faults">$faults</div></section>
</main></body></html>
"""
)

_LOGIN = Template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>piktid-mock dashboard: token</title>
<link rel="icon" href="data:,"><style>body{font:16px system-ui,sans-serif;margin:4em auto;max-width:28em}
input{width:100%;padding:.4em;margin:.5em 0}.error{color:#b00020}</style></head>
<body><h1>piktid-mock dashboard</h1><p>This mock runs with <code>--control-token</code>: enter it to continue.</p>
$error<form id="login-form" method="post" action="/_mock/ui/login">
<input type="password" name="token" autocomplete="current-password" autofocus required>
<button type="submit">Open the dashboard</button></form></body></html>
"""
)


def live(data: dict[str, Any]) -> dict[str, str]:
    """The fragments the page refreshes without a reload, by ``data-live`` name."""
    return {
        "requests": views.requests(data["requests"]),
        "jobs": views.jobs(data["jobs"]),
        "events": views.events(data["notifications"], data["deliveries"]),
        "accounts": views.accounts(data["accounts"]),
        "clock": views.clock(data["clock"]),
        "faults": views.faults(data["faults"]),
    }


def dashboard(data: dict[str, Any], filters: dict[str, str | None], notice: str = "", error: str = "") -> str:
    banner = (f'<p class="notice">{esc(notice)}</p>' if notice else "") + (
        f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    )
    return _PAGE.substitute(
        static=STATIC,
        banner=banner,
        filter=views.request_filter(filters.get("user"), filters.get("path"), filters.get("status")),
        account_form=views.account_form([str(a.get("token")) for a in data["accounts"]]),
        controls=views.controls(KINDS, sorted(STATUS_CODES)),
        **live(data),
    )


def login(error: str = "") -> str:
    return _LOGIN.substitute(error=f'<p class="error" role="alert">{esc(error)}</p>' if error else "")
