"""The province's periodic reports, chosen by month, half-year or year and downloaded as
HTML, CSV or XLSX (`bot.reports`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from ..reports import PROVINCE_TZ, Period, PeriodError, gather, read_topic_names
from .context import Editor, redirect, render

router = APIRouter()
FORMATS = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(
    current: Editor,
) -> Response:
    today = dt.datetime.now(PROVINCE_TZ).date()
    return render(
        current,
        "reports.html",
        page="reports",
        month=f"{today.year}-{today.month:02d}",
        half=f"{today.year}-H{1 if today.month <= 6 else 2}",
        year=str(today.year),
    )


@router.get("/reports/download")
async def download(
    current: Editor,
    kind: Literal["month", "half", "year"],
    value: str,
    format: Literal["html", "csv", "xlsx"] = "html",
    unit: str = "",
) -> Response:
    console = current.console
    try:
        period = Period.parse(kind, value[:20])
    except PeriodError as exc:
        return redirect(current, "/admin/reports", str(exc))

    from ..reports import to_csv, to_html, to_xlsx  # the writers load when first used

    def build() -> bytes:
        topics = read_topic_names(console.settings.index_dir)
        data = gather(console.store, period, topics=topics)
        chosen = unit.strip()[:200] or None
        if format == "html":
            return to_html(data, chosen).encode("utf-8")
        if format == "csv":
            return to_csv(data, chosen)
        return to_xlsx(data, chosen)

    body = await asyncio.to_thread(build)
    name = f"{period.slug}.{format}"
    return Response(
        body,
        media_type=FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
