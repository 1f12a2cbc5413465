"""``Settings``: a value of the wrong kind is refused when it is made, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server import Settings

pytestmark = pytest.mark.memory_only  # nothing here touches a store


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"strict": 0}, "strict must be true or false, not 0"),
        ({"rate_limit": 60.5}, "rate_limit must be a whole number, not 60.5"),
        ({"rate_limit": True}, "rate_limit must be a whole number, not True"),
        ({"latency": "1"}, "latency must be a number, not '1'"),
        ({"blocklist": [1]}, "blocklist must be a sequence of strings, not [1]"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused_naming_its_field(given: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError) as refused:
        Settings(**given)
    assert str(refused.value) == message


def test_lossless_spellings_are_taken_as_the_field_s_kind() -> None:
    """A whole float for an int, a list of strings for a tuple; an int stays an int where a float is asked."""
    chosen = Settings(rate_limit=60.0, blocklist=["a", "b"], latency=2, open_credits=5)
    assert (chosen.rate_limit, chosen.blocklist, chosen.latency, chosen.open_credits) == (60, ("a", "b"), 2, 5)
    assert type(chosen.rate_limit) is int and type(chosen.blocklist) is tuple
