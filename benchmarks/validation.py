"""``validate_edit_chat`` throughput on a fixed sample, vs a trivial dict check on the same sample.

The sample is drawn once, deterministically, from ``piktid_spec.strategies.edit_chat_requests``
(valid payloads of every shape) when hypothesis is installed, else from the shipped fixtures.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._figures import Figure

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "payloads"


def _drawn(count: int) -> list[Any]:
    from hypothesis import HealthCheck, Phase, given, settings

    from piktid_spec.strategies import edit_chat_requests

    sample: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(edit_chat_requests())
    def collect(payload: Any) -> None:
        sample.append(payload)

    collect()
    return sample


def _fixtures() -> list[Any]:
    return [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("edit_chat.*.request.json"))]


def sample_payloads(count: int = 200) -> tuple[list[Any], str]:
    """The payloads to validate, and where they came from."""
    try:
        return _drawn(count), "piktid_spec.strategies.edit_chat_requests"
    except ImportError:
        return _fixtures(), "fixtures/payloads (hypothesis not installed)"


def _trivial(payload: Any, account: Any = None) -> bool:
    return isinstance(payload, dict) and any(k in payload for k in ("prompt", "image_ids", "identity_codes"))


def _rate(check: Callable[..., Any], sample: list[Any], account: Any, calls: int) -> float:
    best = 0.0
    for _ in range(3):
        started, done = time.perf_counter(), 0
        while done < calls:
            for payload in sample:
                check(payload, account=account)
            done += len(sample)
        best = max(best, done / (time.perf_counter() - started))
    return best


def validation(*, calls: int = 50_000, sample_size: int = 200, say: Callable[[str], None] = print) -> list[Figure]:
    """``validate_edit_chat`` calls per second on a fixed sample, vs a trivial dict check."""
    from piktid_spec import Account, validate_edit_chat

    sample, source = sample_payloads(sample_size)
    account = Account("pro")
    rejected = sum(any(v.is_error for v in validate_edit_chat(p, account=account)) for p in sample)
    rate, base = _rate(validate_edit_chat, sample, account, calls), _rate(_trivial, sample, account, calls)
    say(f"validate_edit_chat: {rate:,.0f} calls/s on {len(sample)} payloads from {source}")
    return [
        Figure(
            "validate_edit_chat",
            rate,
            "calls/s",
            base,
            "trivial dict check",
            note=f"best of 3 x {calls} calls over {len(sample)} payloads from {source}; "
            f"{rejected} of them rejected for a pro account",
        )
    ]
