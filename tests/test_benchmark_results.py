"""Benchmark rows are data (benchmarks/results.csv) and results.md is their rendering."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import _results  # noqa: E402 - benchmarks/ is a folder of scripts, not a package


def test_write_result_adds_then_replaces_its_row_and_keeps_the_others(tmp_path):
    path = tmp_path / "results.csv"
    _results.write_result("lens simulation", "images/s", 4512.345, "images/s", "10,000 stamps", path=path)
    _results.write_result("lens simulation", "peak memory", 1.5, "GiB", path=path)
    _results.write_result("lens simulation", "images/s", 4600.0, "images/s", "a | pipe", path=path)
    rows = _results.read_rows(path)
    assert [(r["benchmark"], r["metric"], r["value"]) for r in rows] == [
        ("lens simulation", "images/s", 4600.0),
        ("lens simulation", "peak memory", 1.5),
    ]
    assert rows[0]["notes"] == "a | pipe" and rows[0]["machine"] == _results.machine()
    table = path.with_suffix(".md").read_text()
    assert "| lens simulation | images/s | 4,600 | images/s |" in table and "a \\| pipe" in table


def test_values_are_stored_as_measured_and_rounded_only_in_the_table(tmp_path):
    path = tmp_path / "results.csv"
    _results.write_result("grading", "isolation cost", 4.8512, "%", path=path)
    _results.write_result("grading", "notebooks", 8, "", path=path)
    with path.open(newline="") as file:
        assert [row["value"] for row in csv.DictReader(file)] == ["4.8512", "8"]
    assert [r["value"] for r in _results.read_rows(path)] == [4.8512, 8]
    assert "| 4.85 |" in path.with_suffix(".md").read_text()


def test_a_file_with_other_columns_is_refused(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("name,value\nx,1\n")
    with pytest.raises(ValueError, match="expected"):
        _results.write_result("a", "b", 1, "s", path=path)


def test_results_md_is_the_rendering_of_results_csv():
    rows = _results.read_rows(_results.RESULTS)
    assert rows, "benchmarks/results.csv holds no rows"
    assert (BENCHMARKS / "results.md").read_text() == _results.render(rows), (
        "benchmarks/results.md is stale: run `python benchmarks/_results.py`"
    )
    assert _results.main(["--check"]) == 0


def test_rows_of_another_branchs_markdown_table_are_taken_in(tmp_path, monkeypatch):
    monkeypatch.setattr(_results, "RESULTS", tmp_path / "results.csv")
    _results.write_result("lens simulation", "images/s", 4512.0, "images/s", path=_results.RESULTS)
    _results.write_result("lens simulation", "peak memory", 1.5, "GiB", path=_results.RESULTS)
    theirs = tmp_path / "theirs.md"
    theirs.write_text(
        "# Benchmark results\n\nWritten by the scripts.\n\n"
        "| benchmark | metric | value | unit | machine | date | notes |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| lens simulation | images/s | 45,120 | images/s | AMD EPYC, 2 cores | 2026-12-01 | a \\| b |\n"
        "| backends (lab 02) | JAX / TensorFlow | 0.81 | ratio | AMD EPYC, 2 cores | 2026-12-01 |  |\n"
    )
    assert _results.main(["--from-markdown", str(theirs)]) == 0
    rows = _results.read_rows(tmp_path / "results.csv")
    assert [(r["metric"], r["value"], r["notes"]) for r in rows] == [
        ("images/s", 45120, "a | b"),
        ("peak memory", 1.5, ""),
        ("JAX / TensorFlow", 0.81, ""),
    ]
    assert _results.main(["--check"]) == 0
