"""pytest plugin of piktid-mock (entry point ``pytest11``), loaded by every pytest run once installed.

Fixtures:

- ``piktid_mock``: an in-process mock behind ``https://v2.api.piktid.com`` for ``httpx.Client`` and
  ``httpx.AsyncClient`` (via respx, see ``mock_server.testing.mock_piktid``); yields its
  ``MockControl``; fresh state every test. ``@pytest.mark.piktid_mock(clock="manual", latency=5)``
  passes its keyword arguments to ``mock_piktid``.
- ``piktid_server``: the mock on uvicorn at ``piktid_server.url`` for any HTTP client (requests,
  a subprocess, Node); ``piktid_server.control`` is its ``MockControl``. One server per session,
  reset (state, faults, journal, real clock) before every test.
- ``piktid_client_factory``: the ``factory(base_url, token)`` named by ``--piktid-client
  package.module:factory`` (or ``"exec:COMMAND ARGS..."``, a program speaking the contract kit's
  JSON-lines protocol), or None when the option is not given.

Only pytest is imported at module level, so installing piktid-mock slows no test run's start. A run
whose selected tests use ``piktid_mock`` imports the harness once collection is done, as a test
module's own imports are, rather than inside its first such test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mock_server.testing import LiveServer, MockControl

CLIENT_OPTION = "--piktid-client"
EXEC_PREFIX = "exec:"
"""A ``--piktid-client`` value starting with this names a command (``contract_tests.clients.exec_adapter``)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("piktid-mock")
    group.addoption(
        CLIENT_OPTION,
        default=None,
        metavar="MODULE:FACTORY|exec:COMMAND",
        help=(
            "Client under test for piktid contract tests: package.module:factory (factory(base_url, token) "
            '-> client), or "exec:COMMAND ARGS..." for a program in any language speaking JSON lines '
            "(see contract_tests/README.md)."
        ),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "piktid_mock(**kwargs): keyword arguments of mock_piktid() for the "
        "piktid_mock fixture (clock, latency, seed, settings, ...)",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Import ``mock_server.testing`` now if a selected test uses ``piktid_mock``.

    Its import (~0.1 s) is start-up, paid once: inside the first test it would be blamed on that test
    (``--durations``, a per-test timeout) and counted in the test loop. A run selecting no such test
    still imports nothing.
    """
    if any("piktid_mock" in getattr(item, "fixturenames", ()) for item in session.items):
        import mock_server.testing  # noqa: F401


@pytest.fixture
def piktid_mock(request: pytest.FixtureRequest) -> Iterator[MockControl]:
    """A fresh in-process mock for httpx clients; yields its ``MockControl``."""
    from mock_server.testing import mock_piktid

    marker = request.node.get_closest_marker("piktid_mock")
    with mock_piktid(**(marker.kwargs if marker else {})) as control:
        yield control


@pytest.fixture(scope="session")
def _piktid_live_server() -> Iterator[LiveServer]:
    from mock_server.testing import LiveServer

    with LiveServer() as server:
        yield server


@pytest.fixture
def piktid_server(_piktid_live_server: LiveServer) -> LiveServer:
    """The session's live mock, reset for this test: ``.url`` (base URL) and ``.control``."""
    control = _piktid_live_server.control
    control.reset()
    control.set_clock(_piktid_live_server.backend.settings.clock)
    return _piktid_live_server


@pytest.fixture
def piktid_client_factory(pytestconfig: pytest.Config) -> Callable[..., Any] | None:
    """The callable ``--piktid-client package.module:factory`` names; None without the option."""
    spec = pytestconfig.getoption(CLIENT_OPTION)
    if spec is None:
        return None
    if spec.startswith(EXEC_PREFIX):
        # The contract kit ships in this distribution and owns the JSON-lines adapter; loaded only here.
        from contract_tests.clients.specs import resolve_client

        return resolve_client(spec)
    return resolve_factory(spec)


def resolve_factory(spec: str) -> Callable[..., Any]:
    """``"package.module:attr.path"`` -> that callable; a usage error that says what is wrong otherwise."""
    import importlib

    module_name, _, attr_path = spec.partition(":")
    if not module_name or not attr_path:
        raise pytest.UsageError(f"{CLIENT_OPTION}: expected package.module:factory, got {spec!r}")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise pytest.UsageError(f"{CLIENT_OPTION}: cannot load {spec!r}: {exc}") from exc
    if not callable(target):
        raise pytest.UsageError(f"{CLIENT_OPTION}: {spec!r} is not callable")
    loaded: Callable[..., Any] = target
    return loaded
