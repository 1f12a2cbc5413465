"""Each benchmark runs at its smallest size and reports well-formed figures (no speed is asserted)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from benchmarks import SUITE, Benchmark, Figure
from benchmarks.__main__ import main
from mock_server.testing import need_tool


@pytest.mark.parametrize("bench", SUITE, ids=lambda b: b.name)
def test_benchmark_reports_figures_beside_same_run_baselines(bench: Benchmark) -> None:
    for tool in bench.needs:
        need_tool(tool)  # one clear skip line without it; a failure under CI=1
    said: list[str] = []
    figures = bench.run(**bench.smoke, say=said.append)
    assert figures, said
    for figure in figures:
        assert isinstance(figure, Figure)
        assert math.isfinite(figure.value) and figure.value >= 0, figure
        assert figure.unit and figure.baseline_name, figure
        assert figure.baseline is not None and math.isfinite(figure.baseline) and figure.baseline > 0, figure
        assert figure.ratio == pytest.approx(figure.value / figure.baseline)
        json.dumps(figure.as_json())


def test_main_prints_the_table_and_writes_results_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "results.json"
    assert main(["--smoke", "--only", "validation", "jobs-memory", "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    body = json.loads(output.read_text())
    assert {f["name"] for f in body["figures"]} == {"validate_edit_chat", "memory of 20 finished jobs"}
    assert body["machine"]["nproc"] >= 1 and body["machine"]["python"]
    assert body["errors"] == {}
    for figure in body["figures"]:
        assert figure["name"] in printed and figure["baseline_name"] in printed


def test_main_exits_non_zero_when_a_benchmark_crashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: object) -> list[Figure]:
        raise RuntimeError("boom")

    monkeypatch.setattr("benchmarks.__main__.SUITE", [Benchmark("validation", broken)])
    output = tmp_path / "results.json"
    assert main(["--smoke", "--output", str(output)]) == 1
    assert "boom" in json.loads(output.read_text())["errors"]["validation"]
