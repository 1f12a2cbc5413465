"""The layers import one way, with no cycle, and the state is reached only through its door.

Layers, lowest first: ``piktid_spec`` (rules as data) <- the state (``mock_server.backend``,
``mock_server.store``, ``mock_server.settings``) <- the edge (``mock_server.runtime``,
``mock_server.http``, the CLI) <- ``mock_server.testing`` <- ``contract_tests`` <- ``benchmarks``.
A module may import its own layer and the ones below it, never one above. Outside the state, a
module imports ``mock_server.backend`` or ``mock_server.store`` (the packages), never one of their
modules, and never touches a ``Backend``'s private components (``backend._files``...).

Imports are read from the source (``ast``), so a late import inside a function counts too; only
imports under ``if TYPE_CHECKING:`` are left out (they never run). Importing ``a.b.c`` is an edge to
``a.b.c`` and to the packages ``a`` and ``a.b`` whose ``__init__`` Python runs first, unless the
importer is already inside them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from mock_server import Backend, Settings
from mock_server.store import MemoryStore

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("piktid_spec", "mock_server", "contract_tests", "benchmarks")
STATE = ("mock_server.backend", "mock_server.store", "mock_server.settings", "mock_server.webhooks")
LAYERS: tuple[tuple[str, ...], ...] = (
    ("piktid_spec",),
    STATE,
    (
        "mock_server.runtime",
        "mock_server.http",
        "mock_server.cli",
        "mock_server.webhooks",
        "mock_server.webhook_send",
        "mock_server.server_limits",
        "mock_server.__main__",
        "mock_server._build",
    ),
    ("mock_server.testing", "mock_server.pytest_plugin"),
    ("contract_tests",),
    ("benchmarks",),
)
FACADE = "mock_server"
"""The top package: its ``__init__`` loads ``Backend``, ``Settings`` and ``create_app`` lazily, so it
belongs to the edge (its layer is named exactly, not as a prefix of every ``mock_server`` module)."""
FACADE_LAYER = 2
STATE_INSIDE_TESTS = {
    "tests/contract/test_contract_server.py",
    "tests/mock_server/test_credits.py",
    "tests/mock_server/test_notifications.py",
    "tests/mock_server/test_rate_limit.py",
    "tests/mock_server/test_record_hints.py",
    "tests/mock_server/test_record_inits.py",
    "tests/mock_server/test_service.py",
    "tests/mock_server/test_store.py",
    "tests/mock_server/test_suspending.py",
}
"""Tests of the state's own parts, or that break one on purpose (the contract kit must notice), which
may import its modules."""
BACKEND_PUBLIC_ATTRIBUTES = {"settings", "listeners", "sender", "epoch", "runtime"}
"""What a ``Backend`` holds that is not an operation: configuration, the runtime's hooks and the runtime."""


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources(*roots: str) -> Iterator[Path]:
    for root in roots:
        yield from sorted((REPO / root).rglob("*.py"))


KNOWN = {module_name(p) for p in sources(*ROOTS)}


def _type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"


def imports(path: Path) -> set[str]:
    """Every project module ``path`` imports when it runs (absolute names; relative ones resolved)."""
    found: set[str] = set()
    package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            submodules = {f"{base}.{alias.name}" for alias in node.names} & KNOWN
            found.update(submodules or {base})
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {name for target in found & KNOWN for name in (target, *_initialised(target, module_name(path)))} & KNOWN


def _ancestors(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _initialised(target: str, importer: str) -> list[str]:
    """The packages Python runs the ``__init__`` of to import ``target``, less those the importer is
    already inside (they are initialising when it runs)."""
    inside = {importer, *_ancestors(importer)}
    return [p for p in _ancestors(target) if p not in inside]


def layer_of(module: str) -> int | None:
    if module == FACADE:
        return FACADE_LAYER
    for rank, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members):
            return rank
    return None


GRAPH = {module_name(path): imports(path) for path in sources(*ROOTS)}


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in GRAPH if layer_of(m) is None)
    assert not unplaced, f"place these modules in LAYERS: {unplaced}"


KIT_DOORS = {
    "mock_server.cli": {"contract_tests.lint"},
    "mock_server.pytest_plugin": {"contract_tests.clients", "contract_tests.clients.specs"},
}
"""The two entry points that load the contract kit lazily (``piktid-mock lint``, ``--piktid-client exec:``):
the kit ships in the same distribution; docs/architecture.md names both. Nothing else may reach up."""


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down_the_layers(module: str) -> None:
    rank = layer_of(module)
    assert rank is not None
    allowed = KIT_DOORS.get(module, set())
    allowed = allowed | {"contract_tests"} if allowed else allowed
    upward = sorted(i for i in GRAPH[module] if (layer_of(i) or 0) > rank and i not in allowed)
    assert not upward, f"{module} (layer {rank}) imports from a higher layer: {upward}"


def _private_state_module(name: str) -> bool:
    return any(name.startswith(pkg + ".") for pkg in ("mock_server.backend", "mock_server.store"))


def _outside_state(path: Path) -> bool:
    if path.relative_to(REPO).as_posix() in STATE_INSIDE_TESTS:
        return False
    name = module_name(path)
    return not any(name == s or name.startswith(s + ".") for s in STATE)


def _outside_files() -> list[Path]:
    return [p for p in [*sources(*ROOTS), *sources("tests")] if _outside_state(p)]


def test_nothing_outside_the_state_imports_its_private_modules() -> None:
    known = set(GRAPH)
    offenders = {}
    for path in _outside_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        named |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        private = sorted(n for n in named if n in known and _private_state_module(n))
        if private:
            offenders[path.relative_to(REPO).as_posix()] = private
    assert not offenders, f"import these from mock_server.backend / mock_server.store instead: {offenders}"


def held(owner: object) -> set[str]:
    """The attributes ``owner`` holds: its ``__dict__``, or, compiled by mypyc (no ``__dict__``), the
    attributes its class declares (``__mypyc_attrs__``)."""
    declared = getattr(type(owner), "__mypyc_attrs__", None)
    return set(vars(owner)) if declared is None else set(declared) - {"__dict__"}


def _components() -> set[str]:
    """A ``Backend``'s private components and a ``MemoryStore``'s private tables."""
    owners = (Backend(Settings(), fresh=True), MemoryStore())
    return {name for owner in owners for name in held(owner) if name.startswith("_")}


def test_a_backend_exposes_operations_and_no_component() -> None:
    data = {name for name in held(Backend(Settings(), fresh=True)) if not name.startswith("_")}
    assert data == BACKEND_PUBLIC_ATTRIBUTES


def test_nothing_outside_the_state_reaches_into_a_backend_component() -> None:
    components = _components()
    assert {"_store", "_files", "_webhooks", "_identities", "_notifications", "_jobs", "_users"} <= components
    offenders = []
    for path in _outside_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            on_self = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
            if isinstance(node, ast.Attribute) and node.attr in components and not on_self:
                offenders.append(f"{path.relative_to(REPO).as_posix()}:{node.lineno} .{node.attr}")
    assert not offenders, f"use a Backend operation instead: {offenders}"


def _cycle() -> list[str] | None:
    """One import cycle among the project's modules (module-level and late imports alike), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target == module or target in KIT_DOORS.get(module, set()):
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycle() -> None:
    assert _cycle() is None, f"import cycle: {' -> '.join(_cycle() or [])}"


LIVE_MODULES = ("asyncio", "anyio", "socket", "starlette", "uvicorn", "threading", "sse_starlette", "respx")
"""What the state never imports: no loop, socket, thread or server (httpx is used for URL parsing only)."""

LIVE_ALLOWED = {("mock_server.store.wire", "threading"), ("mock_server.store.redis", "threading")}
"""The Redis store's one connection takes a lock per exchange, and ``as_one_step`` notes its thread (a test
thread may read a live backend); neither starts a thread."""


@pytest.mark.parametrize("path", [p for p in sources(*ROOTS) if not _outside_state(p)], ids=module_name)
def test_the_state_holds_no_live_part(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    named = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    named |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    live = sorted(n for n in named if n.split(".")[0] in LIVE_MODULES and (module_name(path), n) not in LIVE_ALLOWED)
    assert not live, f"{module_name(path)} imports {live}: live parts belong in mock_server.runtime"


def test_the_state_uses_httpx_only_to_parse_urls() -> None:
    used = set()
    for path in (p for p in sources(*ROOTS) if not _outside_state(p)):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "httpx":
                used.add(node.attr)
    assert used <= {"URL", "InvalidURL"}
