"""Which fork of the process this is: a number that changes in a fork's child.

The Redis store's connections belong to the process that opened them, so every call checks it is
still in that process. ``os.getpid()`` is a system call (CPython does not cache it) and a request
made eight of them; this is a global's read, kept by ``os.register_at_fork``.
"""

from __future__ import annotations

import os

_count = 0


def _forked() -> None:
    global _count
    _count += 1


os.register_at_fork(after_in_child=_forked)


def forks() -> int:
    """Changes in each fork's child (and only there): compare it with the value kept when a resource was made."""
    return _count
