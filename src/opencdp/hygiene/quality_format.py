"""The data-quality report as text for a terminal: one table per source, then the findings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_FIELD_HEADERS = ("field", "role", "complete", "valid", "fixed", "unique", "duplicated")
_ROLE_NAMES = {("records", "identifier"): "identifier", ("records", "trait"): "trait",
               ("events", "event"): "event", ("events", "trait"): "event trait",
               ("events", "context_trait"): "context trait"}  # fmt: skip


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]], align: str) -> list[str]:
    """Columns padded to their widest cell; `align` holds `<` or `>` per column."""
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = []
    for row in [headers, *rows]:
        cells = [f"{c:{a}{w}}" for c, a, w in zip(row, align, widths, strict=True)]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def _field_row(f: dict[str, Any]) -> tuple[str, ...]:
    duplicated = (f"{f['duplicated_values']} on {f['duplicated_records']}"
                  if f["duplicated_values"] else "0")  # fmt: skip
    return (
        f["field"],
        _ROLE_NAMES.get((f["origin"], f["role"]), f["role"]),
        _percent(f["completeness"]),
        _percent(f["validity"]),
        _percent(f["fixed_share"]),
        _percent(f["uniqueness"]),
        duplicated,
    )


def _source_lines(source: dict[str, Any]) -> list[str]:
    fresh, held = source["freshness"], source["quarantine"]
    age = f"newest {fresh['age']} old" if fresh["age"] else "no data yet"
    lines = [
        f"{source['name']} ({source['source_id']}): {source['records']} records,"
        f" {source['events']} events, {age}, quarantined {held['total']}"
        f" ({held['pending']} pending)"
    ]
    if source["fields"]:
        lines += _table(_FIELD_HEADERS, [_field_row(f) for f in source["fields"]], "<<>>>>>")
    for reason in held["reasons"]:
        lines.append(f"  quarantine: {reason['count']} × {reason['reason']}"
                     f" ({reason['pending']} pending)")  # fmt: skip
    return lines


def _consistency_lines(findings: list[dict[str, Any]]) -> list[str]:
    if not findings:
        return ["Consistency across sources: no disagreements"]
    rows = []
    for c in findings:
        example = c["examples"][0] if c["examples"] else None
        shown = "" if example is None else f"{example['customer']}: " + "; ".join(
            f"{s} {', '.join(v)}" for s, v in example["values"].items())  # fmt: skip
        rows.append((c["linked_by"], c["field"], str(c["customers"]),
                     _percent(c["share"]), shown))  # fmt: skip
    headers = ("linked by", "field", "customers", "of shared", "example")
    return [
        "Consistency across sources (customers whose values disagree)",
        *_table(headers, rows, "<<>><"),
    ]


def _examples_text(problem: dict[str, Any], width: int = 60) -> str:
    """Examples in one short cell: quarantine ids, masked values with their problem code."""
    shown = []
    for example in problem.get("examples", []):
        if "quarantine_id" in example:
            shown.append(f"#{example['quarantine_id']}")
        elif "problem" in example:
            shown.append(f"{example['value']} ({example['problem'].split(':')[0]})")
        else:
            shown.append(str(example["record_id"]))
    text = ", ".join(shown)
    return text if len(text) <= width else text[: width - 1] + "…"


def _problem_lines(problems: list[dict[str, Any]]) -> list[str]:
    if not problems:
        return ["Top problems: none"]
    rows = [
        (str(i), p["kind"], p["source_id"], p.get("field") or p.get("reason") or "",
         _percent(p["share"]), str(p["affected"]), _examples_text(p))
        for i, p in enumerate(problems, 1)
    ]  # fmt: skip
    headers = ("#", "kind", "source", "field / reason", "share", "count", "examples")
    return ["Top problems", *_table(headers, rows, "><<<>><")]


def format_report(report: dict[str, Any]) -> str:
    """A readable terminal rendering of `quality_report`'s result."""
    lines = [f"Data quality report, {report['generated_at']}", ""]
    for source in report["sources"]:
        lines += [*_source_lines(source), ""]
    if not report["sources"]:
        lines += ["No sources.", ""]
    lines += [*_consistency_lines(report["consistency"]), ""]
    lines += _problem_lines(report["top_problems"])
    return "\n".join(lines) + "\n"
