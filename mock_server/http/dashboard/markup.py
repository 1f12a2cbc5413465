"""Safe text for HTML: every user-provided string goes through ``esc`` (prompts, tokens, filenames...).

Stored data may be odd (lone surrogates from a JSON ``"\\ud800"``, deep nesting, any type where a
string was expected): these helpers never raise on it; they render something readable instead.
"""

from __future__ import annotations

import datetime
import html
import json
from typing import Any

MAX_TEXT = 4000
"""Longest text shown for one value; the rest is cut with an ellipsis."""


def clean(text: str) -> str:
    """``text`` with lone surrogates replaced, so it can always be encoded as UTF-8."""
    return text.encode("utf-8", "replace").decode("utf-8")


def esc(value: object, limit: int = MAX_TEXT) -> str:
    """Escaped text (quotes too, so it is safe in an attribute); None is empty."""
    if value is None:
        return ""
    text = clean(value if isinstance(value, str) else _text(value))
    if len(text) > limit:
        text = text[:limit] + "…"
    return html.escape(text, quote=True)


def _text(value: object) -> str:
    try:
        return str(value)
    except Exception:  # any stored object's __str__ may fail; the page must not
        return f"<{type(value).__name__}>"


def pretty(value: Any, limit: int = MAX_TEXT) -> str:
    """Escaped, indented JSON of ``value`` for a ``<pre>``; too deep or not JSON: a short note instead."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=_text)
    except (RecursionError, ValueError, TypeError):
        text = "(not shown: nested too deeply or not JSON)"
    return esc(text, limit)


def number(value: object) -> str:
    """A number as people read it (``10`` not ``10.0``); anything else escaped as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return esc(value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def when(seconds: object) -> str:
    """A clock time (seconds since the epoch) as ``HH:MM:SS.mmm`` UTC; non-numbers as text."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return esc(seconds)
    try:
        moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        return esc(seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
