"""The community tech team's side of tickets, in its Telegram group: the alert for each
hand-over, and the commands that answer (`/traloi`, or a reply to the alert), close (`/dong`)
and list (`/ve`) tickets. Only the team may use them: messages in TELEGRAM_TEAM_CHAT_ID, or
people the Team check admits (TELEGRAM_TEAM_USER_IDS, members of the group)."""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING

from telegram import Bot, Message, Update
from telegram.constants import MessageLimit
from telegram.ext import ContextTypes

from ..errors import TicketError
from ..sanitize import clean
from ..tickets import CHANNEL_NAMES, Ticket, Tickets
from .common import ChatService, Handover, split_message

if TYPE_CHECKING:
    from .telegram import Team

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TEAM_ONLY = "Lệnh này chỉ dành cho thành viên Tổ công nghệ số cộng đồng."
REPLY_USAGE = (
    "Cách trả lời người hỏi: /traloi <số yêu cầu> <nội dung>, ví dụ: /traloi 12 Chào bạn, …"
)
CLOSE_USAGE = "Cách đóng một yêu cầu: /dong <số yêu cầu>, ví dụ: /dong 12"
NONE_OPEN = "Không có yêu cầu nào đang mở."
QUESTION_CHARS = 80  # of each question in /ve
_NUMBER = re.compile(r"#?(\d{1,18})")
_REPLY = re.compile(r"/\w+(?:@\w+)?\s+#?(\d{1,18})\s+(\S.*)", re.DOTALL)


def alert_text(handover: Handover, ticket: Ticket | None) -> str:
    """The alert for one hand-over: number, channel, question, what came before, and how
    to answer."""
    channel = CHANNEL_NAMES.get(handover.channel, handover.channel)
    if not handover.id:  # the database could not record it: the team still hears of it
        return (
            f"Yêu cầu gặp cán bộ (kênh {channel}):\n{clean(handover.question)}\n\n"
            "(Yêu cầu này chưa ghi được vào cơ sở dữ liệu nên chưa trả lời qua bot được.)"
        )
    lines = [f"Yêu cầu gặp cán bộ #{handover.id} (kênh {channel}):", clean(handover.question)]
    previous = [(q, a) for q, a in (ticket.previous if ticket else ()) if q != handover.question]
    if previous:
        lines += ["", "Trước đó người hỏi đã nhắn:"]
        lines += [
            f"• {clean(q)} ({'bot đã trả lời' if a else 'bot chưa trả lời được'})"
            for q, a in previous
        ]
    lines += [
        "",
        f"Trả lời người hỏi: trả lời (reply) tin nhắn này, hoặc gõ /traloi {handover.id} "
        "<nội dung>.",
        f"Đóng yêu cầu không trả lời: /dong {handover.id}. Xem các yêu cầu đang mở: /ve",
    ]
    return "\n".join(lines)


def alert_ref(chat_id: int, message_id: int) -> str:
    return f"telegram:{chat_id}:{message_id}"


async def alert_team(bot: Bot, chat_id: int, tickets: Tickets, handover: Handover) -> None:
    """Post a hand-over request to the team's group, and remember the message, so that a
    reply to it answers the ticket."""
    ticket = None
    if handover.id:
        try:
            ticket = tickets.get(handover.id)
        except TicketError:
            ticket = None
    message = await bot.send_message(chat_id, alert_text(handover, ticket))
    if handover.id:
        tickets.alert_posted(handover.id, alert_ref(chat_id, message.message_id))


def _tickets(context: ContextTypes.DEFAULT_TYPE) -> Tickets:
    service: ChatService = context.bot_data["service"]
    return service.tickets


async def _is_team(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    chat, user = update.effective_chat, update.effective_user
    if chat is not None and chat.id == context.bot_data.get("team_chat_id"):
        return True
    team: Team = context.bot_data["team"]
    return user is not None and await team.includes(context.bot, user.id)


def _member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The team member's hashed id, as the ticket's log keeps it."""
    service: ChatService = context.bot_data["service"]
    user = update.effective_user
    return service.store.user_hash(CHANNEL, str(user.id)) if user else "-"


async def _say(message: Message, text: str) -> None:
    for part in split_message(text, MessageLimit.MAX_TEXT_LENGTH):
        await message.reply_text(part, do_quote=True, allow_sending_without_reply=True)


async def _reply_to_ticket(
    update: Update, context: ContextTypes.DEFAULT_TYPE, ticket_id: int, text: str
) -> None:
    message = update.effective_message
    try:
        ticket = await _tickets(context).reply(ticket_id, text, _member(update, context))
    except TicketError as exc:  # unknown, closed, or not delivered: the group hears why
        await _say(message, exc.message)
        return
    await _say(
        message,
        f"Đã gửi trả lời tới người hỏi của yêu cầu #{ticket.id} (kênh {ticket.channel_name}). "
        f"Yêu cầu vẫn mở để trả lời tiếp; xong thì gõ /dong {ticket.id}.",
    )


async def on_reply_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/traloi <số> <nội dung>: send the text to the ticket's citizen."""
    message = update.effective_message
    if not await _is_team(update, context):
        await message.reply_text(TEAM_ONLY)
        return
    # The text after the number as typed (line breaks kept), not PTB's split arguments.
    found = _REPLY.match(message.text or "")
    if found is None:
        await message.reply_text(REPLY_USAGE)
        return
    await _reply_to_ticket(update, context, int(found.group(1)), found.group(2))


async def on_close_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/dong <số>: close a ticket without a reply."""
    message = update.effective_message
    if not await _is_team(update, context):
        await message.reply_text(TEAM_ONLY)
        return
    found = _NUMBER.fullmatch((context.args or [""])[0]) if context.args else None
    if found is None:
        await message.reply_text(CLOSE_USAGE)
        return
    try:
        ticket = _tickets(context).close(int(found.group(1)), _member(update, context))
    except TicketError as exc:
        await _say(message, exc.message)
        return
    await _say(message, f"Đã đóng yêu cầu #{ticket.id} (kênh {ticket.channel_name}).")


async def on_list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ve: the open tickets, oldest first: number, channel, age, question."""
    message = update.effective_message
    if not await _is_team(update, context):
        await message.reply_text(TEAM_ONLY)
        return
    await _say(message, format_open(_tickets(context).list_open(), time.time()))


def format_open(tickets: list[Ticket], now: float) -> str:
    """The /ve reply."""
    if not tickets:
        return NONE_OPEN
    lines = [f"Yêu cầu đang mở ({len(tickets)}):"]
    for ticket in tickets:
        question = clean(ticket.question)
        if len(question) > QUESTION_CHARS:
            question = question[: QUESTION_CHARS - 1].rstrip() + "…"
        answered = ", đã trả lời" if ticket.first_reply_at else ""
        lines.append(
            f"#{ticket.id} · {ticket.channel_name} · {age(now - ticket.opened_at)}{answered} · "
            f"{question}"
        )
    return "\n".join(lines)


def age(seconds: float) -> str:
    """How long ago, in Vietnamese: '5 phút', '3 giờ', '2 ngày'."""
    minutes = max(int(seconds // 60), 0)
    if minutes < 60:
        return f"{max(minutes, 1)} phút"
    if minutes < 48 * 60:
        return f"{minutes // 60} giờ"
    return f"{minutes // (24 * 60)} ngày"


async def answered_alert(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """If the message replies to a ticket's alert in the team's group, send it to the
    ticket's citizen and return True; else False (it is an ordinary message)."""
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return False
    ticket_id = _tickets(context).find_by_alert(alert_ref(message.chat.id, replied.message_id))
    if ticket_id is None:
        return False
    if not await _is_team(update, context):
        await message.reply_text(TEAM_ONLY)
        return True
    await _reply_to_ticket(update, context, ticket_id, message.text or "")
    return True
