"""Builds the request path's modules with mypyc (part of mypy), as one group, when it can.

``COMPILED`` is the one list of compiled modules: together they carry ``POST /edit-chat`` and ``GET
/jobs/{id}/results`` (validation, the backend, the memory store, the edge), so calls between them are
native. Everything else stays interpreted. ``PIKTID_MOCK_PURE=1`` installs pure Python, and so does a
machine without a C compiler (said in one printed line): the compiled and the pure package behave alike.
An editable install (``make``, ``pip install -e .``) puts the ``.so`` files next to the sources, which
they shadow: ``make`` rebuilds them when a source is newer, and a test fails on a stale one.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import sys
import sysconfig

from setuptools import setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "piktid_spec/credits.py",
    "piktid_spec/limits.py",
    "piktid_spec/params.py",
    "piktid_spec/sizing.py",
    "piktid_spec/validate.py",
    "mock_server/backend/accounts.py",
    "mock_server/backend/attempts.py",
    "mock_server/backend/clock.py",
    "mock_server/backend/control.py",
    "mock_server/backend/credits.py",
    "mock_server/backend/entries.py",
    "mock_server/backend/errors.py",
    "mock_server/backend/events.py",
    "mock_server/backend/faults.py",
    "mock_server/backend/files.py",
    "mock_server/backend/identities.py",
    "mock_server/backend/ids.py",
    "mock_server/backend/images.py",
    "mock_server/backend/jobs.py",
    "mock_server/backend/journal.py",
    "mock_server/backend/jsontext.py",
    "mock_server/backend/links.py",
    "mock_server/backend/notifications.py",
    "mock_server/backend/numbers.py",
    "mock_server/backend/overview.py",
    "mock_server/backend/pagination.py",
    "mock_server/backend/projects.py",
    "mock_server/backend/rate_limit.py",
    "mock_server/backend/results.py",
    "mock_server/backend/retention.py",
    "mock_server/backend/service.py",
    "mock_server/backend/signing.py",
    "mock_server/backend/webhooks.py",
    "mock_server/backend/work.py",
    "mock_server/store/_forks.py",
    "mock_server/store/codec.py",
    "mock_server/store/memory.py",
    "mock_server/store/redis.py",
    "mock_server/store/wire.py",
    "mock_server/http/dispatch.py",
    "mock_server/http/endpoints.py",
    "mock_server/http/middleware.py",
    "mock_server/http/parsing.py",
    "mock_server/http/render.py",
    "mock_server/runtime/runtime.py",
    "mock_server/runtime/timer.py",
]
"""Paths of the modules mypyc compiles (one group), the stored records' modules among them (``accounts``,
``jobs``, ``notifications``, ...: the Redis store's codec reads a compiled record's exact field types from
its source, ``store/_hints.py``, and writes it without orjson's own dataclass path), and the Redis store
with its client (``store/redis.py``, ``store/wire.py``: their methods cannot be wrapped from outside, so
``benchmarks.redis_round_trips`` hears of each write through ``Wire.observer``). Not compiled:
``piktid_spec/plans.py`` (``Account`` takes any iterable of entitlements, which a compiled one refuses),
``piktid_spec/request.py`` (``EditChatRequest``, the public record, keeps its exact annotations, lenient
construction and pickling), ``store/protocol.py`` (a ``Protocol``)."""


def _can_compile() -> bool:
    """The C compiler setuptools would call (``$CC`` or Python's own) is on this machine, and so are
    Python's headers (``Python.h``; a distribution's Python may ship them apart)."""
    command = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    headers = os.path.join(sysconfig.get_paths()["include"], "Python.h")
    return bool(command) and shutil.which(command[0]) is not None and os.path.exists(headers)


def _remove_compiled(keep: list[str]) -> None:
    """Delete the compiled modules an earlier editable install left beside the sources, but those of
    ``keep``: each would shadow its source (also one no longer in ``COMPILED``). The group's library
    goes too (a build writes its own)."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    kept = {path[: -len(".py")] + suffix for path in keep}
    built = glob.glob(f"piktid_spec/**/*{suffix}", recursive=True) + glob.glob(
        f"mock_server/**/*{suffix}", recursive=True
    )
    for path in [p for p in built if p not in kept] + glob.glob(f"*__mypyc{suffix}"):
        os.remove(path)


def _extensions() -> list[object]:
    if os.environ.get("PIKTID_MOCK_PURE", "") not in ("", "0"):
        print("piktid-mock: PIKTID_MOCK_PURE is set: installing pure Python", file=sys.stderr)
        _remove_compiled([])
        return []
    if not _can_compile():
        print(
            "piktid-mock: no C compiler (or no Python.h) found: installing pure Python (slower, same behaviour)",
            file=sys.stderr,
        )
        _remove_compiled([])
        return []
    from mypyc.build import mypycify

    _remove_compiled(COMPILED)
    try:
        return list(mypycify(COMPILED, opt_level="3"))
    except (Exception, SystemExit) as error:  # mypyc exits on a type error it finds
        _pure(f"mypyc could not compile ({error or 'a type error above'})")
        return []


def _pure(reason: str) -> None:
    """Install pure Python after a failed compile, saying why in one line: nothing compiled is left."""
    print(f"piktid-mock: {reason}: installing pure Python (slower, same behaviour)", file=sys.stderr)
    _remove_compiled([])


class _BuildOrPure(build_ext):
    """``build_ext`` that falls back to pure Python when the C compiler or the linker fails (a broken
    tool chain, too little memory): a failed compile never fails the install nor leaves a module whose
    shared library is missing."""

    def run(self) -> None:
        try:
            super().run()
        except (Exception, SystemExit) as error:
            _pure(f"compiling failed ({type(error).__name__}: {str(error)[:120]})")
            self.extensions = []


setup(ext_modules=_extensions(), cmdclass={"build_ext": _BuildOrPure})
