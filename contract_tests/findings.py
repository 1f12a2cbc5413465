"""Contract failures as data: a ``Finding`` says what was sent, what the spec expects and why.

Checks return findings instead of failing on the first one, so a report lists every broken
promise at once; ``ContractViolation`` (an ``AssertionError``, so pytest shows it as a test
failure) carries them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from piktid_spec import CATALOGUE


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken promise. ``documented`` quotes the docs (or says why, for an inferred rule)."""

    check: str
    sent: str
    expected: str
    observed: str
    documented: str = ""

    def __str__(self) -> str:
        lines = [
            f"[{self.check}]",
            f"  sent:     {self.sent}",
            f"  expected: {self.expected}",
            f"  observed: {self.observed}",
        ]
        if self.documented:
            lines.append(f"  spec:     {self.documented}")
        return "\n".join(lines)


class ContractViolation(AssertionError):
    """Raised by a check with every finding it made; ``findings`` is the list."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = list(findings)
        count = len(self.findings)
        header = f"{count} contract finding{'s' if count != 1 else ''}:"
        super().__init__("\n".join([header, *(str(f) for f in self.findings)]))


def raise_findings(findings: Iterable[Finding]) -> None:
    """Raise ``ContractViolation`` when there is at least one finding."""
    __tracebackhide__ = True
    found = list(findings)
    if found:
        raise ContractViolation(found)


def spec_of(code: str) -> str:
    """The provenance sentence of a catalogue code (``documented: "..."`` or ``inferred: ...``)."""
    spec = CATALOGUE.get(code)
    return str(spec.provenance) if spec is not None else ""
