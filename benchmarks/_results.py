"""The benchmarks' shared results table, benchmarks/results.md: one row per (benchmark, metric).

    from _results import write_result
    write_result("lens simulation", "images/s", 4500.0, "images/s", "10,000 stamps of 64x64x3")

A row with the same benchmark and metric is replaced, so re-running a benchmark updates its rows;
other rows and any text around the table are kept.
"""
from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from course_utils.runtime import vector_extensions

RESULTS = Path(__file__).with_name("results.md")
COLUMNS = ("benchmark", "metric", "value", "unit", "machine", "date", "notes")
_HEADER = "| " + " | ".join(COLUMNS) + " |"
_RULE = "|" + "|".join(" --- " for _ in COLUMNS) + "|"
_TITLE = ("# Benchmark results\n\nWritten by the scripts in this folder (`write_result` in `_results.py`); "
          "re-running a benchmark replaces its rows.\n\n")


def machine() -> str:
    """Short description of this machine: CPU model, core count and the widest vector extension
    (convolutions train about five times faster with AVX-512 than with AVX2 alone)."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
                break
    vectors = vector_extensions()
    if vectors == "AVX-512" and _restricted_to_avx2():
        vectors = "AVX2 (AVX-512 CPU restricted to AVX2)"
    return f"{model}, {os.cpu_count()} cores" + (f", {vectors}" if vectors else "")


def _restricted_to_avx2() -> bool:
    """True when this process's environment limits oneDNN or XLA to AVX2, emulating a CPU without AVX-512."""
    return (os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() == "AVX2"
            or "--xla_cpu_max_isa=avx2" in os.environ.get("XLA_FLAGS", "").lower().split())


def format_value(value) -> str:
    """Numbers to a readable precision: integers as they are, floats to 3 significant digits (whole above 1000)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _split_row(line: str) -> list[str]:
    """Cells of a Markdown table row, with escaped pipes kept inside their cell."""
    cells, current, escaped = [], "", False
    for char in line.strip()[1:-1]:
        if char == "|" and not escaped:
            cells.append(current.strip())
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    return cells + [current.strip()]


def write_result(benchmark: str, metric: str, value, unit: str, notes: str = "", *,
                 path: Path | str = RESULTS) -> None:
    """Add or replace the row (benchmark, metric) of the results table, with this machine and today's date."""
    path = Path(path)
    text = path.read_text() if path.exists() else _TITLE + _HEADER + "\n" + _RULE + "\n"
    lines = text.splitlines()
    if _HEADER not in lines:
        raise ValueError(f"{path} has no results table with the header {_HEADER!r}; fix or remove the file")
    start = lines.index(_HEADER) + 2  # after the header and its rule
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    row = [benchmark, metric, format_value(value), unit, machine(), datetime.date.today().isoformat(), notes]
    new_line = "| " + " | ".join(_cell(c) for c in row) + " |"
    rows = lines[start:end]
    keys = [tuple(_split_row(line)[:2]) for line in rows]
    key = (_cell(benchmark), _cell(metric))
    if key in keys:
        rows[keys.index(key)] = new_line
    else:
        rows.append(new_line)
    path.write_text("\n".join(lines[:start] + rows + lines[end:]) + "\n")
