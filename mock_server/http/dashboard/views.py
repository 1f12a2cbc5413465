"""The dashboard's sections as HTML fragments, built from ``state`` reads; every value is escaped.

Each function takes plain data and returns a string, so the views are tested without a server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mock_server.http.dashboard.markup import esc, number, pretty, when
from mock_server.http.dashboard.state import Output
from piktid_spec import PLANS

EMPTY = '<p class="empty">{}</p>'


def _table(head: Iterable[str], rows: list[str], empty: str) -> str:
    if not rows:
        return EMPTY.format(esc(empty))
    cells = "".join(f"<th>{esc(h)}</th>" for h in head)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


# --- requests ----------------------------------------------------------------------------------
def finding(violation: object) -> str:
    """One violation or warning: its code on the line, the message and the documented sentence on expand.

    The documented sentence is also the summary's ``title``, so it shows on hover.
    """
    v = _dict(violation)
    provenance = _dict(v.get("provenance"))
    sentence = provenance.get("text")
    severity = v.get("severity") if v.get("severity") in ("error", "warning") else "error"
    field = f" · {esc(v.get('field'))}" if v.get("field") else ""
    return (
        f'<details class="finding {severity}"><summary title="{esc(sentence)}">'
        f"<code>{esc(v.get('code'))}</code> {severity}{field}</summary>"
        f"<p>{esc(v.get('message'))}</p>"
        f'<blockquote class="{esc(provenance.get("kind"))}">{esc(provenance.get("kind"))}: {esc(sentence)}</blockquote>'
        "</details>"
    )


def _status_class(status: object) -> str:
    if not isinstance(status, int) or isinstance(status, bool):
        return "s-unknown"
    return "s-ok" if status < 400 else ("s-client" if status < 500 else "s-server")


def request_row(entry: dict[str, Any]) -> str:
    query = f"?{esc(entry.get('query'))}" if entry.get("query") else ""
    findings = "".join(finding(v) for v in _list(entry.get("violations")))
    return (
        f'<tr class="request" data-seq="{esc(entry.get("seq"))}">'
        f"<td>{esc(entry.get('seq'))}</td><td>{when(entry.get('at'))}</td>"
        f"<td><code>{esc(entry.get('method'))}</code></td><td><code>{esc(entry.get('path'))}{query}</code></td>"
        f"<td>{esc(entry.get('user'))}</td>"
        f'<td class="{_status_class(entry.get("status"))}">{esc(entry.get("status"))}</td>'
        f"<td><code>{esc(entry.get('code'))}</code></td><td>{findings}</td></tr>"
    )


def requests(entries: list[dict[str, Any]]) -> str:
    head = ("#", "at", "method", "path", "user", "status", "error code", "violations and warnings")
    return _table(head, [request_row(e) for e in entries], "No requests yet (or none matches the filter).")


def request_filter(user: str | None, path: str | None, status: str | None) -> str:
    return (
        '<form class="filter" method="get" action="/_mock/#requests">'
        f'<label>user <input name="user" value="{esc(user)}"></label>'
        f'<label>path starts with <input name="path" value="{esc(path)}"></label>'
        f'<label>status <input name="status" value="{esc(status)}" size="4"></label>'
        '<button type="submit">Filter</button> <a href="/_mock/#requests">clear</a></form>'
    )


# --- jobs --------------------------------------------------------------------------------------
def output(out: Output) -> str:
    """A thumbnail linking to the full image; a failed variation shows its ``error_message``."""
    label = f"#{out.group_index} {esc(out.status)}"
    if out.status == "completed" and out.thumbnail and out.full:
        body = (
            f'<a href="{esc(out.full)}" target="_blank" rel="noopener">'
            f'<img class="thumb" src="{esc(out.thumbnail)}" alt="variation {out.group_index}" loading="lazy"></a>'
        )
        label += f" · {esc(out.model)}"
    elif out.status == "failed":
        body = f'<p class="error-message">{esc(out.error_message)}</p>'
    else:
        body = '<div class="pending">processing…</div>'
    return f'<figure class="output {esc(out.status)}">{body}<figcaption>{label}</figcaption></figure>'


def generation(g: dict[str, Any]) -> str:
    width, height = (list(g.get("pixels") or ()) + [None, None])[:2]
    facts = (
        f"#{esc(g.get('image_index'))} <b>{esc(g.get('status'))}</b> · model {esc(g.get('model'))} · "
        f"size {esc(g.get('size'))} ({number(width)}×{number(height)}) · {number(g.get('credits'))} credits"
    )
    outputs = "".join(output(o) for o in g.get("outputs") or ())
    return (
        f'<div class="generation"><p>{facts}</p><p class="prompt">{esc(g.get("prompt"))}</p>'
        f'<div class="outputs">{outputs}</div></div>'
    )


def jobs(by_user: dict[str, list[dict[str, Any]]]) -> str:
    if not by_user:
        return EMPTY.format("No jobs yet: POST /edit-chat to start one.")
    parts = []
    for user, items in by_user.items():
        cards = "".join(
            f'<article class="job" data-job="{esc(j["job_id"])}"><h4><code>{esc(j["job_id"])}</code> '
            f"<small>{when(j.get('created_at'))}</small></h4>"
            f"{''.join(generation(g) for g in j.get('generations') or ())}</article>"
            for j in items
        )
        parts.append(f'<section class="user-jobs"><h3>{esc(user)}</h3>{cards}</section>')
    return "".join(parts)


# --- events ------------------------------------------------------------------------------------
def notification_row(n: dict[str, Any]) -> str:
    data = _dict(n.get("data"))
    summary = " ".join(
        f"{esc(k)}={esc(data.get(k))}" for k in ("id_task", "image_index", "group_index", "status") if k in data
    )
    deleted = " (deleted)" if n.get("deleted") else ""
    return (
        f'<tr class="notification" data-id="{esc(n.get("id"))}"><td>{esc(n.get("id"))}</td>'
        f"<td>{when(n.get('timestamp'))}</td><td>{esc(n.get('user'))}</td>"
        f"<td><code>{esc(n.get('name'))}</code>{deleted}</td>"
        f"<td><details><summary>{summary}</summary><pre>{pretty(n.get('data'))}</pre></details></td></tr>"
    )


def attempt(a: object) -> str:
    item = _dict(a)
    outcome = esc(item.get("status_code")) if item.get("status_code") is not None else esc(item.get("error") or "…")
    duration = f" in {number(item.get('duration'))} s" if item.get("duration") is not None else ""
    return f"<li>#{esc(item.get('number'))} at {when(item.get('at'))}: {outcome}{duration}</li>"


def delivery_row(d: dict[str, Any]) -> str:
    attempts = "".join(attempt(a) for a in _list(d.get("attempts")))
    return (
        f'<tr class="delivery"><td><code>{esc(d.get("id"))}</code></td><td>{esc(d.get("event"))}</td>'
        f"<td>{esc(d.get('url'))}</td><td>{esc(d.get('status'))}</td><td><ol>{attempts}</ol></td></tr>"
    )


def events(notifications: list[dict[str, Any]], deliveries: list[dict[str, Any]]) -> str:
    return (
        "<h3>Notifications</h3>"
        + _table(
            ("id", "at", "user", "name", "data"),
            [notification_row(n) for n in notifications],
            "No notifications yet.",
        )
        + "<h3>Webhook deliveries</h3>"
        + _table(
            ("delivery", "event", "url", "status", "attempts"),
            [delivery_row(d) for d in deliveries],
            "No webhook deliveries (PUT /webhooks to configure one).",
        )
    )


# --- accounts ----------------------------------------------------------------------------------
def account_row(a: dict[str, Any]) -> str:
    entitlements = ", ".join(esc(e) for e in _list(a.get("entitlements")))
    return (
        f'<tr class="account" data-token="{esc(a.get("token"))}"><td>{esc(a.get("token"))}</td>'
        f'<td>{esc(a.get("plan"))}</td><td class="credits">{number(a.get("credits"))}</td>'
        f"<td>{number(a.get('in_progress_credits'))}</td><td>{number(a.get('charged_credits'))}</td>"
        f"<td>{entitlements}</td></tr>"
    )


def accounts(items: list[dict[str, Any]]) -> str:
    head = ("token", "plan", "credits", "reserved", "charged", "entitlements")
    return _table(head, [account_row(a) for a in items], "No users yet (open mode creates one on first use).")


def account_form(tokens: list[str]) -> str:
    options = "".join(f'<option value="{esc(t)}">' for t in tokens)
    plans = '<option value="">(keep)</option>' + "".join(f'<option value="{esc(p)}">{esc(p)}</option>' for p in PLANS)
    return (
        '<form id="account-form" method="post" action="/_mock/ui/account">'
        f'<label>token <input name="token" list="tokens" required></label><datalist id="tokens">{options}</datalist>'
        f'<label>plan <select name="plan">{plans}</select></label>'
        '<label>credits <input name="credits" type="number" min="0" step="any" placeholder="(keep)"></label>'
        '<button type="submit">Set account</button></form>'
    )


# --- controls ----------------------------------------------------------------------------------
def clock(c: dict[str, Any]) -> str:
    return (
        f'<p class="clock">mode <b id="clock-mode">{esc(c.get("mode"))}</b> · now {when(c.get("now"))} · '
        f"{esc(c.get('pending'))} pending callbacks</p>"
    )


def fault_row(rule: dict[str, Any]) -> str:
    shown = ("kind", "method", "path", "token", "status", "delay", "times", "probability", "hits")
    cells = "".join(f"<td>{esc(rule.get(k))}</td>" for k in shown)
    rule_id = esc(rule.get("id"))
    return (
        f'<tr class="fault" data-id="{rule_id}"><td>{rule_id}</td>{cells}<td>'
        f'<form method="post" action="/_mock/ui/faults/remove"><input type="hidden" name="id" value="{rule_id}">'
        '<button type="submit">Remove</button></form></td></tr>'
    )


def faults(rules: list[dict[str, Any]]) -> str:
    head = ("id", "kind", "method", "path", "user", "status", "delay", "times left", "probability", "hits", "")
    return _table(head, [fault_row(r) for r in rules], "No fault rules.")


def controls(kinds: Iterable[str], statuses: Iterable[int]) -> str:
    kind_options = "".join(f'<option value="{esc(k)}">{esc(k)}</option>' for k in kinds)
    status_options = '<option value="">-</option>' + "".join(f'<option value="{s}">{s}</option>' for s in statuses)
    return (
        '<div class="controls">'
        '<form id="reset-form" method="post" action="/_mock/ui/reset"><h3>Reset</h3>'
        '<label>seed <input name="seed" type="number" placeholder="(server default)"></label>'
        '<label><input type="checkbox" name="confirm" value="yes" required> yes, forget all state</label>'
        '<button type="submit" class="danger">Reset</button></form>'
        '<form id="clock-form" method="post" action="/_mock/ui/clock"><h3>Clock</h3>'
        '<label>mode <select name="mode"><option>manual</option><option>real</option></select></label>'
        '<button type="submit">Set mode</button></form>'
        '<form id="advance-form" method="post" action="/_mock/ui/advance"><h3>Advance</h3>'
        '<label>seconds <input name="seconds" type="number" min="0" step="any" value="1" required></label>'
        '<button type="submit">Advance</button></form>'
        '<form id="fault-form" method="post" action="/_mock/ui/faults"><h3>Add a fault rule</h3>'
        f'<label>kind <select name="kind">{kind_options}</select></label>'
        f'<label>status <select name="status">{status_options}</select></label>'
        '<label>method <input name="method" size="6" placeholder="any"></label>'
        '<label>path prefix <input name="path" placeholder="any"></label>'
        '<label>user token <input name="token" placeholder="any"></label>'
        '<label>delay s <input name="delay" type="number" min="0" max="600" step="any" placeholder="0"></label>'
        '<label>times <input name="times" type="number" min="1" value="1"></label>'
        '<label><input type="checkbox" name="every" value="yes"> every matching request</label>'
        '<label>probability <input name="probability" type="number" min="0" max="1" step="any" placeholder="1">'
        '</label><button type="submit">Add rule</button></form></div>'
    )
