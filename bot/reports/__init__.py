"""Periodic reports for the province (monthly, six-monthly, yearly): figures gathered from
the store into one `ReportData`, written as HTML for print, CSV and an Excel workbook.

    data = gather(store, Period.parse("month", "2026-11"), topics=read_topic_names(index_dir))
    write_report(data, Path("reports"))  # or to_html / to_csv / to_xlsx for a download
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .data import (
    ChannelRow,
    DayRow,
    Figures,
    Gap,
    HandoverRow,
    Handovers,
    ReportData,
    TopicRow,
    declined_gaps,
    gather,
)
from .html import to_html
from .period import PROVINCE_TZ, Period, PeriodError
from .tables import Table, tables, to_csv, to_xlsx
from .topics import read_topic_names, topic_names

__all__ = [
    "PROVINCE_TZ",
    "ChannelRow",
    "DayRow",
    "Figures",
    "Gap",
    "HandoverRow",
    "Handovers",
    "Period",
    "PeriodError",
    "ReportData",
    "ReportFiles",
    "Table",
    "TopicRow",
    "declined_gaps",
    "gather",
    "read_topic_names",
    "tables",
    "to_csv",
    "to_html",
    "to_xlsx",
    "topic_names",
    "write_report",
]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    csv: Path
    xlsx: Path


def write_report(data: ReportData, out_dir: Path, unit: str | None = None) -> ReportFiles:
    """Write the report's HTML, CSV and XLSX into `out_dir`, named after the period."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / data.period.slug
    files = ReportFiles(
        stem.with_suffix(".html"), stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
    )
    files.html.write_text(to_html(data, unit), "utf-8")
    files.csv.write_bytes(to_csv(data, unit))
    files.xlsx.write_bytes(to_xlsx(data, unit))
    return files
