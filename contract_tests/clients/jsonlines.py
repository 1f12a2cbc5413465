"""Any Python adapter as a JSON-lines program: ``python -m contract_tests.clients.jsonlines package.module:factory``.

The other end of ``exec:``: it serves the kit's protocol on stdin/stdout for a Python
``factory(base_url, token)``, reading ``PIKTID_API_URL`` and ``PIKTID_TOKEN``. The kit's own tests
use it to run the same clients through both adapter kinds; it is also a worked example of the
protocol for whoever writes an adapter in another language.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import IO, Any

from contract_tests.clients.protocol import close

NOT_IMPLEMENTED = {"status_code": None, "message": "not implemented"}
"""The error a method the client lacks answers (for ``verify_webhook``: not applicable)."""


def _method(client: Any, name: str) -> Callable[[dict[str, Any]], Any] | None:
    """The protocol method ``name`` on ``client``, taking the request's ``params``; None when it lacks one."""
    target = getattr(client, name, None)
    if not callable(target):
        return None
    calls: dict[str, Callable[[dict[str, Any]], Any]] = {
        "upload": lambda p: target(p["path"]),
        "generate": lambda p: target(p["request"]),
        "wait": lambda p: target(p["job_id"], p.get("timeout", 60)),
        "verify_webhook": lambda p: target(p["secret"], p["body"].encode("utf-8"), p["header"]),
    }
    return calls.get(name)


def answer(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    """The response object to one request object."""
    run = _method(client, str(request.get("method")))
    if run is None:
        return {"id": request.get("id"), "error": NOT_IMPLEMENTED}
    try:
        return {"id": request.get("id"), "result": run(request.get("params") or {})}
    except Exception as exc:  # the client's error is the answer
        status = getattr(exc, "status_code", None)
        message = str(exc) or type(exc).__name__
        return {
            "id": request.get("id"),
            "error": {"status_code": status if isinstance(status, int) else None, "message": message},
        }


def serve(factory: Callable[[str, str], Any], stdin: IO[str], stdout: IO[str]) -> None:
    """Answer each request line until stdin closes, then close the client."""
    client = factory(os.environ["PIKTID_API_URL"], os.environ["PIKTID_TOKEN"])
    try:
        for line in stdin:
            if line.strip():
                stdout.write(json.dumps(answer(client, json.loads(line)), default=str) + "\n")
                stdout.flush()
    finally:
        close(client)


def main(argv: list[str] | None = None) -> int:
    from contract_tests.clients.specs import resolve_client

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m contract_tests.clients.jsonlines package.module:factory", file=sys.stderr)
        return 2
    serve(resolve_client(args[0]), sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
