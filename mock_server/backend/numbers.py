"""Numbers clients send as text (headers, query strings, path segments): ASCII digits, bounded length."""

from __future__ import annotations

MAX_DIGITS = 18


def ascii_int(raw: str | None, max_digits: int = MAX_DIGITS) -> int | None:
    """The non-negative integer ``raw`` spells, or None.

    ``"²".isdigit()`` is True yet ``int("²")`` fails, and ``int()`` refuses 4300+ digits: both
    would be a 500, so only short runs of ASCII digits count.
    """
    if not raw or len(raw) > max_digits or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)
