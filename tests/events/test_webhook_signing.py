"""``mock_server.webhooks.sign`` / ``verify``: exactly what the docs' ``verify_signature`` checks."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from mock_server.webhooks import sign, verify

secrets_ = st.text(min_size=1, max_size=64)
bodies = st.binary(max_size=512)


def verify_signature(secret: str, body: bytes, signature_header: str) -> bool:
    """Copied from the Playground page."""
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature_header)


@given(secrets_, bodies)
def test_a_signature_passes_the_docs_check_and_verify(secret: str, body: bytes) -> None:
    header = sign(secret, body)
    assert header.startswith("sha256=") and len(header) == len("sha256=") + 64
    assert verify_signature(secret, body, header)
    assert verify(secret, body, header)


@given(secrets_, bodies, bodies)
def test_another_body_fails(secret: str, body: bytes, other: bytes) -> None:
    assert verify(secret, other, sign(secret, body)) == (other == body)


@given(secrets_, secrets_, bodies)
def test_another_secret_fails(secret: str, other: str, body: bytes) -> None:
    assert verify(other, body, sign(secret, body)) == (other == secret)


@given(secrets_, bodies, st.one_of(st.none(), st.text(max_size=80)))
def test_any_header_gives_a_bool_and_never_raises(secret: str, body: bytes, header: str | None) -> None:
    assert verify(secret, body, header) is (header == sign(secret, body))
