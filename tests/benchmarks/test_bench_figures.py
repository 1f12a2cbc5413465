"""``Figure``: the ratio to its baseline, the target verdict, and the table a reader sees."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import Figure, table, write_results


def test_ratio_is_value_over_baseline_and_target_direction_is_respected() -> None:
    fast = Figure("throughput", 70.0, "req/s", 100.0, "bare", target=0.6)
    slow = Figure("throughput", 50.0, "req/s", 100.0, "bare", target=0.6)
    latency = Figure("p99", 3.0, "ms", 2.0, "bare", higher_is_better=False, target=2.0)
    assert fast.ratio == 0.7 and fast.meets_target is True
    assert slow.meets_target is False
    assert latency.ratio == 1.5 and latency.meets_target is True
    assert Figure("x", 1.0, "ms").ratio is None and Figure("x", 1.0, "ms", 0.0, "zero").meets_target is None


def test_table_shows_value_baseline_ratio_verdict_and_notes() -> None:
    text = table([Figure("POST throughput", 1234.0, "req/s", 2468.0, "bare Starlette", target=0.6, note="wrk")])
    row = next(line for line in text.splitlines() if line.startswith("POST throughput"))
    assert "1,234 req/s" in row and "2,468 req/s (bare Starlette)" in row and "0.5" in row and "MISS" in row
    assert "* POST throughput: wrk" in text


def test_results_json_names_the_machine(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_results(path, [Figure("a", 1.0, "ms", 2.0, "b")], {"smoke": True})
    body = json.loads(path.read_text())
    assert body["smoke"] is True and body["figures"][0]["ratio"] == 0.5
    assert {"nproc", "python", "cpu", "platform"} <= set(body["machine"])
