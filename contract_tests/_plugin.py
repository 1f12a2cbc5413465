"""pytest11 entry point of the contract kit: ``--hypothesis-profile=fast|thorough`` works from any project.

Imports only pytest; hypothesis and the profiles load only when one of the kit's profiles is named.
"""

from __future__ import annotations

import pytest

KIT_PROFILES = ("fast", "thorough")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the kit's profiles before hypothesis's own plugin loads the one named on the command line."""
    if config.getoption("--hypothesis-profile", default=None) in KIT_PROFILES:
        import contract_tests.profiles  # noqa: F401 - imported for its side effect: registers the profiles
