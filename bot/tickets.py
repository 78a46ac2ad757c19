"""Tickets: the community tech team's replies reach the citizen, on the channel they came
from.

A hand-over request opens a ticket with the same number (one open per citizen: a repeat
joins it). The ticket holds what the team needs to answer — the channel, the masked question
and the citizen's previous questions — and what replying needs: the platform address (a
Telegram chat id, a Zalo OA user id, a Zalo Bot chat id, a web chat's browser id), encrypted
by the store. The address is kept only while the ticket is open and the platform still lets
us write: Zalo OA takes customer-service messages only within 7 days of the citizen's last
message, so each message the citizen sends starts the window again, and `sweep()` (run
periodically by the app) erases the addresses whose window has ended and reminds citizens
nobody has answered. Channels deliver through the `Sender`s the app registers; nothing here
knows a platform.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .answer import HANDOVER_REPLY
from .errors import (
    ChannelError,
    NotDelivered,
    StorageError,
    TicketClosed,
    TicketError,
    TicketNotFound,
)
from .privacy import mask
from .sanitize import clean
from .storage import Store, TicketEvent, TicketRow

log = logging.getLogger(__name__)

DAY = 24 * 3600.0
DEFAULT_REPLY_WINDOW_SECONDS = 7 * DAY
DEFAULT_REMIND_AFTER_SECONDS = 24 * 3600.0
PREVIOUS_QUESTIONS = 4  # the citizen's questions before the hand-over shown to the team
PREVIOUS_SINCE_SECONDS = DAY  # …asked at most this long before it
LOGGED_CHARS = 4000

CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo OA", "zalo-bot": "Zalo Bot", "api": "web"}

TEAM_INTRO = "Tổ công nghệ số cộng đồng trả lời câu hỏi của bạn:"
RECEIPT = (
    HANDOVER_REPLY + " Mã yêu cầu của bạn là #{id}; câu trả lời của cán bộ sẽ được gửi tới "
    "bạn ngay tại đây."
)
REMINDER = (
    "Yêu cầu #{id} của bạn hiện chưa được cán bộ trả lời, chúng tôi thành thật xin lỗi vì "
    "để bạn phải chờ. Để được hỗ trợ sớm, bạn vui lòng liên hệ trực tiếp Ủy ban nhân dân xã, "
    "phường nơi mình sinh sống (bộ phận tiếp nhận và trả kết quả), hoặc Tổ công nghệ số cộng "
    "đồng ở thôn, bản, tổ dân phố của bạn. Khi có câu trả lời, chúng tôi vẫn sẽ gửi tới bạn "
    "tại đây."
)


class Sender(Protocol):
    """A channel as tickets see it: its name and a way to send text to an address."""

    name: str
    # How long after the citizen's last message the platform lets us write; None: the
    # CDS_TICKET_REPLY_WINDOW_DAYS setting.
    reply_window_seconds: float | None

    async def send(self, address: str, text: str) -> None:
        """Send `text` to `address`; ChannelError (PlatformRefused) when it is not taken."""


@dataclass(frozen=True)
class Ticket:
    """A ticket as the team sees it (never its address)."""

    id: int
    channel: str
    question: str
    previous: tuple[tuple[str, bool], ...]  # the citizen's earlier questions, answered or not
    opened_at: float
    status: str
    reachable: bool  # an address is held: a reply can still be sent
    reachable_until: float | None
    last_message_at: float
    first_reply_at: float | None
    reminded_at: float | None
    closed_at: float | None

    @property
    def is_open(self) -> bool:
        return self.status == "open" and self.closed_at is None

    @property
    def channel_name(self) -> str:
        return CHANNEL_NAMES.get(self.channel, self.channel)


@dataclass(frozen=True)
class Swept:
    """What one sweep did: addresses erased and citizens reminded, by ticket."""

    erased: list[int]
    reminded: list[int]


def _ticket(row: TicketRow) -> Ticket:
    try:
        previous = tuple((str(q), bool(a)) for q, a in json.loads(row.turns))
    except (ValueError, TypeError):
        previous = ()
    return Ticket(
        row.id,
        row.channel,
        row.question,
        previous,
        row.created_at,
        row.status,
        row.has_address,
        row.address_until,
        row.last_message_at,
        row.first_reply_at,
        row.reminded_at,
        row.closed_at,
    )


def logged_text(text: str) -> str:
    """What the ticket's log keeps of a message: no control characters, personal numbers
    masked."""
    return mask(clean(text)).strip()[:LOGGED_CHARS]


class Tickets:
    """Opening, answering, closing and sweeping tickets, over the store and the channels'
    senders. `by` is always the team member's hashed id: who did what is kept, never who
    they are."""

    def __init__(
        self,
        store: Store,
        *,
        reply_window_seconds: float = DEFAULT_REPLY_WINDOW_SECONDS,
        remind_after_seconds: float = DEFAULT_REMIND_AFTER_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._default_window = reply_window_seconds
        self._remind_after = remind_after_seconds
        self._clock = clock
        self._senders: dict[str, Sender] = {}

    # The registry of channels, filled by the app in its lifespan.

    def register(self, sender: Sender) -> None:
        """Deliver the replies to tickets of `sender.name` through `sender`."""
        self._senders[sender.name] = sender

    def unregister_all(self) -> None:
        self._senders.clear()

    def reply_window(self, channel: str) -> float:
        """Seconds after the citizen's last message a reply may still be sent."""
        sender = self._senders.get(channel)
        own = sender.reply_window_seconds if sender is not None else None
        return own if own is not None else self._default_window

    # What the chat service reports.

    def open(self, ticket_id: int, channel: str, user_hash: str, address: str) -> None:
        """Open the ticket of hand-over `ticket_id` (or refresh the open one's address)."""
        now = self._clock()
        previous = self.store.recent_questions(
            channel, user_hash, now - PREVIOUS_SINCE_SECONDS, PREVIOUS_QUESTIONS
        )
        self.store.open_ticket(
            ticket_id,
            channel,
            user_hash,
            address,
            now + self.reply_window(channel),
            json.dumps(previous, ensure_ascii=False),
            now,
        )

    def citizen_wrote(self, channel: str, user_hash: str, address: str) -> None:
        """A citizen sent a message: if they have an open ticket, its reply window starts
        again (and a reply goes where they wrote last)."""
        now = self._clock()
        self.store.citizen_wrote(channel, user_hash, address, now + self.reply_window(channel), now)

    def receipt(self, ticket_id: int) -> str:
        """What the citizen is told when their request is recorded."""
        return RECEIPT.format(id=ticket_id) if ticket_id else HANDOVER_REPLY

    # What the team (the Telegram group now, the editors' console later) asks.

    def get(self, ticket_id: int) -> Ticket:
        """The ticket numbered `ticket_id`; TicketNotFound when there is none."""
        row = self.store.ticket(ticket_id)
        if row is None:
            raise TicketNotFound(
                f"Không có yêu cầu #{ticket_id}. Gõ /ve để xem các yêu cầu đang mở."
            )
        return _ticket(row)

    def list_open(self) -> list[Ticket]:
        """Every open ticket, oldest first."""
        return [_ticket(row) for row in self.store.open_tickets()]

    def events(self, ticket_id: int) -> list[TicketEvent]:
        """What was done about a ticket (replies, close, reminders), oldest first."""
        return self.store.ticket_events(ticket_id)

    def alert_posted(self, ticket_id: int, ref: str) -> None:
        """Remember the team-chat message `ref` that announced the ticket."""
        self.store.note_ticket_alert(ticket_id, ref)

    def find_by_alert(self, ref: str) -> int | None:
        """The ticket the team-chat message `ref` announced, if it announced one."""
        return self.store.ticket_by_alert(ref)

    async def reply(self, ticket_id: int, text: str, by: str) -> Ticket:
        """Send a team member's reply to the ticket's citizen, introduced as the team's
        answer, and log it. TicketNotFound, TicketClosed, or NotDelivered (with the reason)
        when it did not reach them; the ticket stays open either way."""
        body = clean(text).strip()
        if not body:
            raise TicketError(f"Bạn chưa gõ nội dung trả lời cho yêu cầu #{ticket_id}.")
        ticket = self.get(ticket_id)
        if not ticket.is_open:
            raise TicketClosed(
                f"Yêu cầu #{ticket_id} đã đóng nên không gửi trả lời được nữa. "
                "Gõ /ve để xem các yêu cầu đang mở."
            )
        logged = logged_text(body)
        address = self.store.ticket_address(ticket_id)
        if address is None:
            days = self.reply_window(ticket.channel) / DAY
            self._log(ticket_id, "reply", by, logged, "window_ended")
            raise NotDelivered(
                f"Chưa gửi được trả lời cho yêu cầu #{ticket_id}: đã quá {days:g} ngày kể từ "
                f"tin nhắn cuối của người hỏi, kênh {ticket.channel_name} không cho gửi tiếp. "
                "Người hỏi nhắn lại thì gửi được; hoặc đề nghị xã, thôn liên hệ trực tiếp."
            )
        sender = self._senders.get(ticket.channel)
        if sender is None:
            self._log(ticket_id, "reply", by, logged, "no_channel")
            raise NotDelivered(
                f"Chưa gửi được trả lời cho yêu cầu #{ticket_id}: kênh {ticket.channel_name} "
                "hiện không hoạt động trên máy chủ."
            )
        try:
            await sender.send(address, f"{TEAM_INTRO}\n{body}")
        except ChannelError as exc:
            self._log(ticket_id, "reply", by, logged, f"failed: {exc}"[:500])
            log.warning(
                "reply to ticket %d not delivered channel=%s: %s", ticket_id, ticket.channel, exc
            )
            raise NotDelivered(
                f"Chưa gửi được trả lời cho yêu cầu #{ticket_id} (kênh {ticket.channel_name}): "
                f"{exc}"
            ) from None
        self._log(ticket_id, "reply", by, logged, "sent")
        log.info("ticket %d answered by=%s channel=%s", ticket_id, by, ticket.channel)
        return self.get(ticket_id)

    def close(self, ticket_id: int, by: str) -> Ticket:
        """Close a ticket without a reply (its address is erased); TicketNotFound or
        TicketClosed when there is no open ticket of that number."""
        ticket = self.get(ticket_id)
        if not ticket.is_open or not self.store.close_ticket(ticket_id, self._clock()):
            raise TicketClosed(f"Yêu cầu #{ticket_id} đã đóng từ trước.")
        self._log(ticket_id, "close", by, "", "closed")
        log.info("ticket %d closed by=%s", ticket_id, by)
        return self.get(ticket_id)

    # The periodic sweep.

    async def sweep(self) -> Swept:
        """Erase the addresses whose reply window has ended, then remind the citizens whose
        request nobody has answered within CDS_TICKET_REMIND_HOURS (once each)."""
        now = self._clock()
        erased = self.store.erase_expired_addresses(now)
        if erased:
            log.info("erased the addresses of %d ticket(s) past their reply window", len(erased))
        reminded: list[int] = []
        for row in self.store.tickets_to_remind(now - self._remind_after):
            self.store.mark_ticket_reminded(row.id, now)  # once, delivered or not
            text = REMINDER.format(id=row.id)
            address = self.store.ticket_address(row.id)
            sender = self._senders.get(row.channel)
            if address is None or sender is None:
                continue
            try:
                await sender.send(address, text)
            except ChannelError as exc:
                log.warning("reminder for ticket %d not delivered: %s", row.id, exc)
                self._log(row.id, "reminder", "", text, f"failed: {exc}"[:500])
                continue
            self._log(row.id, "reminder", "", text, "sent")
            reminded.append(row.id)
        return Swept(erased, reminded)

    def _log(self, ticket_id: int, kind: str, by: str, text: str, outcome: str) -> None:
        try:
            self.store.log_ticket_event(ticket_id, kind, by, text, outcome, self._clock())
        except StorageError as exc:  # what was sent is sent; the log line says so
            log.error("ticket %d: %s %s not logged: %s", ticket_id, kind, outcome, exc)
