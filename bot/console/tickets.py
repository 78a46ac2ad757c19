"""Requests for a person: the open tickets, answered or closed from the web as the team
does from its Telegram group (`bot.tickets`)."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ..errors import TicketError
from .context import Team, Visit, redirect, render

router = APIRouter()
MAX_REPLY_CHARS = 2000


def _by(current: Visit) -> str:
    """The team member as tickets log them: a hashed id, never the name."""
    assert current.user is not None
    return current.console.store.user_hash("console", current.user.name)


@router.get("/tickets", response_class=HTMLResponse)
async def tickets_page(current: Team) -> Response:
    tickets = current.console.service.tickets
    return render(
        current, "tickets.html", page="tickets", tickets=tickets.list_open(), now=time.time()
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket_page(current: Team, ticket_id: int) -> Response:
    tickets = current.console.service.tickets
    try:
        ticket = tickets.get(ticket_id)
    except TicketError as exc:
        return redirect(current, "/admin/tickets", str(exc))
    return render(
        current,
        "ticket.html",
        page="tickets",
        ticket=ticket,
        events=tickets.events(ticket_id),
        now=time.time(),
    )


@router.post("/tickets/{ticket_id}/reply")
async def reply(current: Team, ticket_id: int, request: Request) -> Response:
    text = str((await request.form()).get("text", ""))[:MAX_REPLY_CHARS]
    try:
        await current.console.service.tickets.reply(ticket_id, text, _by(current))
    except TicketError as exc:
        return redirect(current, f"/admin/tickets/{ticket_id}", str(exc))
    return redirect(current, "/admin/tickets", f"Đã gửi trả lời cho yêu cầu #{ticket_id}.")


@router.post("/tickets/{ticket_id}/close")
async def close(current: Team, ticket_id: int) -> Response:
    try:
        current.console.service.tickets.close(ticket_id, _by(current))
    except TicketError as exc:
        return redirect(current, "/admin/tickets", str(exc))
    return redirect(current, "/admin/tickets", f"Đã đóng yêu cầu #{ticket_id}.")
