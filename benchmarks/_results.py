"""The benchmarks' shared results: rows stored as data in benchmarks/results.csv, one per (benchmark, metric),
and the table benchmarks/results.md rendered from them.

    from _results import write_result
    write_result("lens simulation", "images/s", 4500.0, "images/s", "10,000 stamps of 64x64x3")

A row with the same benchmark and metric is replaced, so re-running a benchmark updates its rows; the CSV
keeps the value as measured (full precision), the Markdown rounds it for reading. After editing the CSV by
hand, re-render the table: ``python benchmarks/_results.py`` (``--check`` fails when results.md is stale);
``--from-markdown FILE`` first takes in the rows of a Markdown table such as another branch's results.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import os
import platform
import re
import sys
from pathlib import Path

from course_utils.runtime import vector_extensions

RESULTS = Path(__file__).with_name("results.csv")
COLUMNS = ("benchmark", "metric", "value", "unit", "machine", "date", "notes")
_TITLE = (
    "# Benchmark results\n\n"
    "Rendered from `results.csv` by `_results.py` (do not edit here): the benchmark scripts in this folder "
    "write their rows with `write_result`; re-running a benchmark replaces its rows.\n\n"
)


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
    return (
        os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() == "AVX2"
        or "--xla_cpu_max_isa=avx2" in os.environ.get("XLA_FLAGS", "").lower().split()
    )


def format_value(value) -> str:
    """Numbers to a readable precision: integers as they are, floats to 3 significant digits (whole above 1000)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def parse_value(text: str):
    """A stored value back as the int or float it was written from; other text (a label, "") as it is."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def read_rows(path: Path | str = RESULTS) -> list[dict]:
    """The stored rows in order, each a dict of COLUMNS with ``value`` parsed back to a number."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path} has columns {reader.fieldnames}, expected {list(COLUMNS)}; fix or remove it")
        return [{**row, "value": parse_value(row["value"])} for row in reader]


def write_rows(rows: list[dict], path: Path | str = RESULTS) -> None:
    """Store ``rows`` as CSV at ``path`` and render the Markdown table next to it (same name, .md)."""
    path = Path(path)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {**row, "value": repr(row["value"]) if isinstance(row["value"], float) else row["value"]} for row in rows
    )
    path.write_text(out.getvalue())
    path.with_suffix(".md").write_text(render(rows))


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def render(rows: list[dict]) -> str:
    """The Markdown page of ``rows``: a title and one table, values rounded by ``format_value``."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "|".join(" --- " for _ in COLUMNS) + "|"]
    for row in rows:
        cells = [format_value(row[c]) if c == "value" else row[c] for c in COLUMNS]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return _TITLE + "\n".join(lines) + "\n"


def upsert(rows: list[dict], new: list[dict]) -> list[dict]:
    """``rows`` with each of ``new`` replacing the row of the same (benchmark, metric), or appended."""
    rows = list(rows)
    for row in new:
        keys = [(r["benchmark"], r["metric"]) for r in rows]
        key = (row["benchmark"], row["metric"])
        if key in keys:
            rows[keys.index(key)] = row
        else:
            rows.append(row)
    return rows


def write_result(benchmark: str, metric: str, value, unit: str, notes: str = "", *, path: Path | str = RESULTS) -> None:
    """Add or replace the row (benchmark, metric) of the results, with this machine and today's date, and
    re-render the Markdown table. ``path`` is the CSV file."""
    row = dict(
        benchmark=benchmark,
        metric=metric,
        value=value,
        unit=unit,
        machine=machine(),
        date=datetime.date.today().isoformat(),
        notes=notes,
    )
    write_rows(upsert(read_rows(path), [row]), path)


def markdown_rows(text: str) -> list[dict]:
    """The rows of a results table in Markdown (as this module renders it, or as it was written before the
    CSV existed), values read back as numbers: "2,162" -> 2162."""
    header = "| " + " | ".join(COLUMNS) + " |"
    lines = text.splitlines()
    if header not in lines:
        raise ValueError(f"no results table with the header {header!r} in that text")
    rows = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
        row = dict(zip(COLUMNS, cells))
        rows.append({**row, "value": parse_value(row["value"].replace(",", ""))})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render benchmarks/results.md from benchmarks/results.csv.")
    parser.add_argument("--check", action="store_true", help="fail (exit 1) when results.md is not the rendering")
    parser.add_argument(
        "--from-markdown",
        metavar="RESULTS_MD",
        type=Path,
        help="first add or replace the rows of that Markdown table (e.g. another branch's results.md)",
    )
    args = parser.parse_args(argv)
    rows = read_rows(RESULTS)
    if args.from_markdown:
        rows = upsert(rows, markdown_rows(args.from_markdown.read_text()))
        write_rows(rows, RESULTS)
    page, markdown = render(rows), RESULTS.with_suffix(".md")
    if args.check:
        if not markdown.exists() or markdown.read_text() != page:
            print(f"{markdown} is stale: run `python benchmarks/_results.py`", file=sys.stderr)
            return 1
        return 0
    markdown.write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
