"""The kit's hypothesis profiles: ``fast`` (default) and ``thorough`` (1000 examples, 200 steps).

``contract_tests._plugin`` (a pytest11 entry point) imports this module before hypothesis reads
``--hypothesis-profile``, so ``pytest --pyargs contract_tests --hypothesis-profile=thorough`` works
from any project.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

PROFILES: dict[str, dict[str, Any]] = {
    "fast": {"max_examples": 60, "deadline": None, "suppress_health_check": [HealthCheck.too_slow]},
    "thorough": {
        "max_examples": 1000,
        "stateful_step_count": 200,
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow],
    },
}


def register_profiles() -> None:
    """Register each profile under its name unless a profile of that name already exists."""
    for name, values in PROFILES.items():
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(name, **values)


register_profiles()
