"""``Figure``: one measured number beside its same-run baseline, and the table / JSON made of them."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mock_server._build import build_kind


@dataclass(frozen=True, slots=True)
class Figure:
    """A figure and the baseline measured in the same run, so their ratio holds on a noisy machine.

    ``ratio`` is always ``value / baseline``; ``target`` is a bound on that ratio (a floor when
    ``higher_is_better``, a ceiling otherwise). ``note`` says what the reader must know to trust it.
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    higher_is_better: bool = True
    target: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def meets_target(self) -> bool | None:
        """None when there is no target (or no ratio); else whether the ratio is on the right side."""
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_name": self.baseline_name,
            "ratio": self.ratio,
            "target": self.target,
            "higher_is_better": self.higher_is_better,
            "meets_target": self.meets_target,
            "note": self.note,
        }


def number(value: float | None) -> str:
    """Three significant figures, without scientific notation for everyday magnitudes."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def spread(ratios: list[float]) -> str:
    """``min / median / max`` of a benchmark's per-round ratios, for its note."""
    return " / ".join(f"{r:.2f}" for r in (min(ratios), statistics.median(ratios), max(ratios)))


def _verdict(figure: Figure) -> str:
    met = figure.meets_target
    if met is None:
        return ""
    sign = ">=" if figure.higher_is_better else "<="
    return f"{'ok' if met else 'MISS'} ({sign} {figure.target:g})"


def table(figures: list[Figure]) -> str:
    """A plain-text table: figure, value, baseline, ratio, target verdict; notes below it."""
    rows = [("figure", "value", "baseline", "ratio", "target")]
    for f in figures:
        base = f"{number(f.baseline)} {f.unit} ({f.baseline_name})" if f.baseline is not None else "-"
        rows.append((f.name, f"{number(f.value)} {f.unit}", base, number(f.ratio), _verdict(f)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  * {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + ([""] + notes if notes else []))


def machine() -> dict[str, Any]:
    """What the figures were measured on (they only compare within one run on one machine)."""
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "executable": sys.executable,
        "build": build_kind(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_results(path: Path, figures: list[Figure], extra: dict[str, Any] | None = None) -> None:
    """Write ``figures`` (and ``extra``) to ``path`` as JSON, with the machine they were measured on."""
    body = {"machine": machine(), **(extra or {}), "figures": [f.as_json() for f in figures]}
    path.write_text(json.dumps(body, indent=2) + "\n")
