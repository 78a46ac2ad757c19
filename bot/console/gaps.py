"""Knowledge gaps: what citizens asked that the bot could not answer, grouped by meaning,
each with a button that starts a new FAQ entry from its phrasings."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from ..gaps import Gap, find_gaps, suggest_entry
from .context import Editor, render

router = APIRouter()
DAYS = (7, 30, 90)


def new_entry_link(gap: Gap) -> str:
    """The FAQ editor's address, pre-filled with the gap's suggested entry."""
    suggestion = suggest_entry(gap)
    query: list[tuple[str, str]] = [("topic", suggestion["topic"] or "")]
    query += [("q", question) for question in suggestion["questions"]]
    return "/admin/faq/new?" + urlencode(query)


@router.get("/gaps", response_class=HTMLResponse)
async def gaps(
    current: Editor,
    days: Annotated[int, Query(ge=1, le=3650)] = 30,
    min_count: Annotated[int, Query(ge=1, le=1000)] = 2,
) -> Response:
    console = current.console
    since = time.time() - days * 86400

    def find() -> list[Gap]:
        records = console.store.unanswered_questions(since)
        return find_gaps(records, console.service.answerer, min_count=min_count, since=since)

    found = await asyncio.to_thread(find)
    return render(
        current,
        "gaps.html",
        page="gaps",
        gaps=[(gap, new_entry_link(gap)) for gap in found],
        days=days,
        min_count=min_count,
        choices=DAYS,
    )
