"""Tickets: a citizen's request for a person is answered by the community tech team from its
Telegram group, and the answer reaches the citizen on the channel they wrote on. The real
app, the real PTB and httpx clients, against the local Telegram and Zalo stand-ins."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.answer import Answerer
from bot.channels.common import ChatService
from bot.errors import NotDelivered, TicketClosed, TicketNotFound
from bot.storage import Store
from bot.tickets import REMINDER, TEAM_INTRO, Tickets

from .all_channels import (
    TELEGRAM_SECRET,
    ZALO_APP_ID,
    ZALO_APP_SECRET,
    ZALO_BOT_SECRET,
    ZALO_BOT_TOKEN,
    ZALO_OA_SECRET,
    settings_for,
)
from .conftest import running
from .fakes.telegram_api import FakeTelegram, message_update
from .fakes.zalo_api import FakeZaloBot, FakeZaloOA, signed_call, text_message, wait_until

GROUP = -1009876  # the team's Telegram group
# A Telegram-sized id: three digits would turn up inside a hashed id now and then, and the
# check that no raw id is logged would fail by chance.
MEMBER = 5017302648  # a team member writing in the group
ALLOWED = 502  # a team member on TELEGRAM_TEAM_USER_IDS, writing to the bot privately
STRANGER = 777  # neither
CITIZEN_TELEGRAM = 4242
OA_USER = "2468458835291979"
BOT_USER = "e4ea2cd5189df1c3a88c"
BOT_CHAT = "c0ffee5189df1c3a88c1"  # Zalo Bot chat id, not the user id
WEB_USER = "web-4f1c2b9a8e7d6c5b4a39281706f5e4d3"
QUESTION = "thủ tục ly hôn trực tuyến làm thế nào"
TEAM_ANSWER = "Chào bạn, bạn nộp hồ sơ trên Cổng dịch vụ công, gọi 0212 3876 543 nếu cần."
DAY = 24 * 3600.0


@dataclass
class Team:
    """The app with every channel, and the team's group on the fake Telegram."""

    client: TestClient
    telegram: FakeTelegram
    zalo_oa: FakeZaloOA
    zalo_bot: FakeZaloBot
    store: Store
    updates: int = 100

    def telegram_says(self, text: str, chat_id: int, user_id: int, **extra: object) -> None:
        self.updates += 1
        update = message_update(self.updates, text, chat_id=chat_id, user_id=user_id, **extra)
        response = self.client.post(
            "/webhook/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
        assert response.status_code == 200

    def group_says(self, text: str, user_id: int = MEMBER, **extra: object) -> None:
        """A team member writes in the team's group."""
        self.telegram_says(text, GROUP, user_id, **extra)

    def zalo_oa_says(self, text: str, msg_id: str) -> None:
        event = text_message(ZALO_APP_ID, OA_USER, text, msg_id)
        body, headers = signed_call(ZALO_APP_ID, ZALO_OA_SECRET, event)
        assert self.client.post("/webhook/zalo", content=body, headers=headers).status_code == 200

    def zalo_bot_says(self, text: str, message_id: str) -> None:
        update = {
            "event_name": "message.text.received",
            "message": {
                "from": {"id": BOT_USER, "display_name": "Người dân", "is_bot": False},
                "chat": {"id": BOT_CHAT, "chat_type": "PRIVATE"},
                "message_id": message_id,
                "date": 1749632637199,
                "text": text,
            },
        }
        headers = {"X-Bot-Api-Secret-Token": ZALO_BOT_SECRET}
        assert (
            self.client.post("/webhook/zalo-bot", json=update, headers=headers).status_code == 200
        )

    def group_messages(self) -> list[dict]:
        """What the bot posted in the team's group."""
        return [m for m in self.telegram.messages if m["chat"]["id"] == GROUP]

    def wait_for_group(self, words: str) -> dict:
        """The bot's latest message in the group containing `words`, once it is there."""
        wait_until(lambda: any(words in m["text"] for m in self.group_messages()))
        return [m for m in self.group_messages() if words in m["text"]][-1]

    def alert(self, ticket_id: int) -> dict:
        return self.wait_for_group(f"Yêu cầu gặp cán bộ #{ticket_id} ")

    def only_ticket(self) -> int:
        wait_until(lambda: len(self.store.open_tickets()) == 1)
        (ticket,) = self.store.open_tickets()
        return ticket.id


@contextmanager
def team_app(service: ChatService) -> Iterator[Team]:
    with ExitStack() as stack:
        telegram = stack.enter_context(FakeTelegram())
        zalo_oa = stack.enter_context(FakeZaloOA(ZALO_APP_ID, ZALO_APP_SECRET))
        zalo_oa.issue("access-1", "refresh-1")
        zalo_bot = stack.enter_context(FakeZaloBot(ZALO_BOT_TOKEN))
        settings = settings_for(telegram, zalo_oa, zalo_bot).model_copy(
            update={"telegram_team_chat_id": GROUP, "telegram_team_user_ids": [ALLOWED]}
        )
        client = stack.enter_context(running(settings, service))
        yield Team(client, telegram, zalo_oa, zalo_bot, service.store)


@pytest.fixture
def team(chat_service: ChatService) -> Iterator[Team]:
    with team_app(chat_service) as app:
        yield app


def test_a_zalo_oa_request_answered_by_replying_to_the_alert_reaches_that_zalo_user(
    team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    team.zalo_oa_says(QUESTION, "m-1")
    wait_until(lambda: len(team.zalo_oa.delivered()) == 1)  # messages are answered in parallel
    team.zalo_oa_says("cho tôi gặp cán bộ", "m-2")
    ticket_id = team.only_ticket()

    alert = team.alert(ticket_id)
    assert alert["text"].startswith(f"Yêu cầu gặp cán bộ #{ticket_id} (kênh Zalo OA):\n{QUESTION}")
    assert f"/traloi {ticket_id} <nội dung>" in alert["text"]
    wait_until(lambda: len(team.zalo_oa.delivered()) == 2)
    receipt = team.zalo_oa.delivered()[-1]
    assert f"Mã yêu cầu của bạn là #{ticket_id}" in receipt.text

    team.group_says(TEAM_ANSWER, reply_to_message=alert)

    wait_until(lambda: len(team.zalo_oa.delivered()) == 3)
    answer = team.zalo_oa.delivered()[-1]
    assert answer.user_id == OA_USER
    assert answer.text == f"{TEAM_INTRO}\n{TEAM_ANSWER}"
    confirmation = team.wait_for_group("Đã gửi trả lời")
    assert f"yêu cầu #{ticket_id} (kênh Zalo OA)" in confirmation["text"]
    (event,) = team.store.ticket_events(ticket_id)
    assert (event.kind, event.outcome) == ("reply", "sent")
    assert event.actor_hash == team.store.user_hash("telegram", str(MEMBER))
    assert "0212 3876 543" not in event.text and "[số điện thoại]" in event.text
    assert team.store.ticket(ticket_id).first_reply_at is not None  # type: ignore[union-attr]
    for raw in (OA_USER, str(MEMBER)):
        assert raw not in caplog.text


def test_a_zalo_bot_request_answered_with_traloi_reaches_the_chat_it_came_from(
    team: Team,
) -> None:
    team.zalo_bot_says(QUESTION, "zb-1")
    wait_until(lambda: len(team.zalo_bot.sent_texts()) == 1)
    team.zalo_bot_says("tôi muốn gặp cán bộ", "zb-2")
    ticket_id = team.only_ticket()
    assert "(kênh Zalo Bot)" in team.alert(ticket_id)["text"]

    team.group_says(f"/traloi {ticket_id} {TEAM_ANSWER}")

    def answered() -> bool:
        return any(TEAM_INTRO in text for text in team.zalo_bot.sent_texts())

    wait_until(answered)
    (sent,) = [c for c in team.zalo_bot.calls_to("sendMessage") if TEAM_INTRO in c["text"]]
    assert sent == {"chat_id": BOT_CHAT, "text": f"{TEAM_INTRO}\n{TEAM_ANSWER}"}


def test_a_telegram_request_answered_with_traloi_by_an_allowed_member_in_private(
    team: Team,
) -> None:
    team.telegram_says(QUESTION, CITIZEN_TELEGRAM, CITIZEN_TELEGRAM)
    wait_until(lambda: len(team.telegram.sent_texts()) == 1)
    team.telegram_says("/lienhe", CITIZEN_TELEGRAM, CITIZEN_TELEGRAM)
    ticket_id = team.only_ticket()
    team.alert(ticket_id)

    team.telegram_says(f"/traloi #{ticket_id} {TEAM_ANSWER}", ALLOWED, ALLOWED)

    def to_citizen() -> list[str]:
        return [m["text"] for m in team.telegram.messages if m["chat"]["id"] == CITIZEN_TELEGRAM]

    wait_until(lambda: f"{TEAM_INTRO}\n{TEAM_ANSWER}" in to_citizen())
    assert any(f"Mã yêu cầu của bạn là #{ticket_id}" in text for text in to_citizen())
    wait_until(
        lambda: any(
            "Đã gửi trả lời" in m["text"]
            for m in team.telegram.messages
            if m["chat"]["id"] == ALLOWED
        )
    )


def test_someone_outside_the_team_cannot_answer_or_close(team: Team) -> None:
    team.zalo_oa_says("gặp cán bộ", "m-1")
    ticket_id = team.only_ticket()
    team.alert(ticket_id)

    team.telegram_says(f"/traloi {ticket_id} tôi là cán bộ đây", STRANGER, STRANGER)
    team.telegram_says(f"/dong {ticket_id}", STRANGER, STRANGER)

    wait_until(lambda: len([m for m in team.telegram.messages if m["chat"]["id"] == STRANGER]) == 2)
    refusals = [m["text"] for m in team.telegram.messages if m["chat"]["id"] == STRANGER]
    assert refusals == ["Lệnh này chỉ dành cho thành viên Tổ công nghệ số cộng đồng."] * 2
    assert [m.text for m in team.zalo_oa.delivered() if TEAM_INTRO in m.text] == []
    assert [t.id for t in team.store.open_tickets()] == [ticket_id]


def test_dong_closes_and_erases_the_address_and_later_replies_are_told_it_is_closed(
    team: Team,
) -> None:
    team.zalo_oa_says("gặp cán bộ", "m-1")
    ticket_id = team.only_ticket()
    alert = team.alert(ticket_id)
    assert team.store.ticket_address(ticket_id) == OA_USER

    team.group_says(f"/dong {ticket_id}")
    team.wait_for_group(f"Đã đóng yêu cầu #{ticket_id} (kênh Zalo OA).")
    team.group_says("Chào bạn, còn cần gì không?", reply_to_message=alert)
    team.group_says(f"/traloi 99999 {TEAM_ANSWER}")

    team.wait_for_group(f"Yêu cầu #{ticket_id} đã đóng nên không gửi trả lời được nữa.")
    team.wait_for_group("Không có yêu cầu #99999.")
    row = team.store.ticket(ticket_id)
    assert row is not None and row.status == "closed" and not row.has_address
    assert team.store.ticket_address(ticket_id) is None
    assert [m.text for m in team.zalo_oa.delivered() if TEAM_INTRO in m.text] == []
    assert [e.kind for e in team.store.ticket_events(ticket_id)] == ["close"]


def test_ve_lists_the_open_tickets_with_channel_age_and_question(team: Team) -> None:
    team.zalo_oa_says(QUESTION, "m-1")
    wait_until(lambda: len(team.zalo_oa.delivered()) == 1)
    team.zalo_oa_says("gặp cán bộ", "m-2")
    team.zalo_bot_says("cho gặp cán bộ về chữ ký số", "zb-1")
    wait_until(lambda: len(team.store.open_tickets()) == 2)
    first, second = (t.id for t in team.store.open_tickets())

    team.group_says("/ve")

    listing = team.wait_for_group("Yêu cầu đang mở (2):")["text"]
    assert f"#{first} · Zalo OA · 1 phút · {QUESTION}" in listing
    assert f"#{second} · Zalo Bot · 1 phút · cho gặp cán bộ về chữ ký số" in listing


def test_a_reply_zalo_refuses_is_reported_in_the_group(team: Team) -> None:
    team.zalo_oa_says("gặp cán bộ", "m-1")
    ticket_id = team.only_ticket()
    team.alert(ticket_id)
    team.zalo_oa.refusals[OA_USER] = -230

    team.group_says(f"/traloi {ticket_id} {TEAM_ANSWER}")

    report = team.wait_for_group("Chưa gửi được trả lời")["text"]
    assert f"yêu cầu #{ticket_id} (kênh Zalo OA)" in report
    assert "7 days" in report
    assert [e.outcome[:7] for e in team.store.ticket_events(ticket_id)] == ["failed:"]


def test_a_web_chat_request_answered_in_the_group_is_fetched_by_that_browser_only(
    team: Team,
) -> None:
    asked = team.client.post("/api/ask", json={"question": "gặp cán bộ", "user_id": WEB_USER})
    ticket_id = asked.json()["handover_id"]
    assert f"#{ticket_id}" in asked.json()["answer"]
    team.alert(ticket_id)

    team.group_says(f"/traloi {ticket_id} {TEAM_ANSWER}")
    team.wait_for_group("Đã gửi trả lời")

    nothing = team.client.get("/api/replies", headers={"X-User-Id": "web-someone-else"}).json()
    assert nothing == {"replies": [], "waiting": False}
    mine = team.client.get("/api/replies", headers={"X-User-Id": WEB_USER}).json()
    assert mine["waiting"] is True
    (reply,) = mine["replies"]
    assert reply["text"] == f"{TEAM_INTRO}\n{TEAM_ANSWER}"
    seen = team.client.get(
        f"/api/replies?after={reply['id']}", headers={"X-User-Id": WEB_USER}
    ).json()
    assert seen["replies"] == []
    missing = team.client.get("/api/replies")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "invalid_request"


# The ticket service alone, with a clock the tests move.


class Clock:
    def __init__(self) -> None:
        self.now = time.time()  # the store dates hand-overs by the real clock

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorder:
    """A channel that records what it was asked to send."""

    name: str
    reply_window_seconds: float | None = None
    fail: bool = False

    def __post_init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, address: str, text: str) -> None:
        from bot.errors import PlatformRefused

        if self.fail:
            raise PlatformRefused("the user blocked the bot")
        self.sent.append((address, text))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tickets(store: Store, clock: Clock) -> Tickets:
    return Tickets(store, reply_window_seconds=3 * DAY, remind_after_seconds=24 * 3600, clock=clock)


@pytest.fixture
def service(answerer: Answerer, store: Store, tickets: Tickets) -> ChatService:
    return ChatService(answerer, store, tickets=tickets)


async def test_the_address_is_encrypted_at_rest(
    service: ChatService, tickets: Tickets, tmp_path: Path
) -> None:
    ticket_id = await service.handover("zalo", OA_USER, QUESTION)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite*"))
    assert OA_USER.encode() not in raw
    assert tickets.store.ticket_address(ticket_id) == OA_USER


async def test_the_address_is_erased_when_zalo_oas_seven_days_end_and_a_new_message_restarts_them(
    service: ChatService, tickets: Tickets, clock: Clock
) -> None:
    oa = Recorder("zalo", reply_window_seconds=7 * DAY)
    tickets.register(oa)
    ticket_id = await service.handover("zalo", OA_USER, QUESTION)
    clock.now += 6 * DAY
    await service.ask("zalo", OA_USER, "xin chào")  # the window starts again
    clock.now += 6 * DAY
    assert (await tickets.sweep()).erased == []

    clock.now += DAY + 1
    assert (await tickets.sweep()).erased == [ticket_id]
    assert tickets.store.ticket_address(ticket_id) is None
    with pytest.raises(NotDelivered, match="đã quá 7 ngày"):
        await tickets.reply(ticket_id, TEAM_ANSWER, by="m")
    assert not any(TEAM_INTRO in text for _, text in oa.sent)
    assert tickets.get(ticket_id).is_open  # the team can still close it
    await service.ask("zalo", OA_USER, "cán bộ ơi, tôi vẫn chờ")
    await tickets.reply(ticket_id, TEAM_ANSWER, by="m")
    assert oa.sent[-1] == (OA_USER, f"{TEAM_INTRO}\n{TEAM_ANSWER}")


async def test_other_channels_keep_the_address_for_the_set_window(
    service: ChatService, tickets: Tickets, clock: Clock
) -> None:
    tickets.register(Recorder("zalo-bot"))
    ticket_id = await service.handover("zalo-bot", BOT_USER, QUESTION, address=BOT_CHAT)
    clock.now += 3 * DAY - 1
    assert (await tickets.sweep()).erased == []
    clock.now += 2
    assert (await tickets.sweep()).erased == [ticket_id]


async def test_a_citizen_nobody_answered_is_reminded_once_after_the_set_hours(
    service: ChatService, tickets: Tickets, clock: Clock
) -> None:
    web = Recorder("api")
    tickets.register(web)
    waiting = await service.handover("api", WEB_USER, QUESTION)
    answered = await service.handover("api", "web-other", "chữ ký số")
    await tickets.reply(answered, TEAM_ANSWER, by="m")

    clock.now += 23 * 3600
    assert (await tickets.sweep()).reminded == []
    clock.now += 3600 + 1
    assert (await tickets.sweep()).reminded == [waiting]
    assert (await tickets.sweep()).reminded == []

    reminder = web.sent[-1]
    assert reminder == (WEB_USER, REMINDER.format(id=waiting))
    assert "Ủy ban nhân dân xã, phường" in reminder[1]
    assert "Tổ công nghệ số cộng đồng ở thôn, bản" in reminder[1]
    assert [e.kind for e in tickets.events(waiting)] == ["reminder"]


async def test_a_ticket_shows_the_question_and_the_turns_before_it(
    service: ChatService, tickets: Tickets
) -> None:
    unknown = "máy bay bay như thế nào"
    await service.ask("api", WEB_USER, "cách quét mã QR để trả tiền")
    await service.ask("api", WEB_USER, unknown)
    reply = await service.ask("api", WEB_USER, "cho tôi gặp cán bộ")

    ticket = tickets.get(reply.handover_id or 0)
    assert ticket.question == unknown
    assert [question for question, _ in ticket.previous] == ["cách quét mã QR để trả tiền", unknown]
    assert ticket.previous[0][1] is True  # the team sees which the bot answered
    assert ticket.channel_name == "web"


async def test_a_repeat_joins_the_open_ticket(service: ChatService, tickets: Tickets) -> None:
    first = await service.handover("zalo", OA_USER, QUESTION)
    again = await service.handover("zalo", OA_USER, "gặp cán bộ lần nữa")
    assert again == first
    assert [t.id for t in tickets.list_open()] == [first]


async def test_closed_and_unknown_tickets_cannot_be_answered(
    service: ChatService, tickets: Tickets
) -> None:
    tickets.register(Recorder("zalo"))
    ticket_id = await service.handover("zalo", OA_USER, QUESTION)
    tickets.close(ticket_id, by="m")
    with pytest.raises(TicketClosed):
        await tickets.reply(ticket_id, TEAM_ANSWER, by="m")
    with pytest.raises(TicketClosed):
        tickets.close(ticket_id, by="m")
    with pytest.raises(TicketNotFound):
        await tickets.reply(ticket_id + 1, TEAM_ANSWER, by="m")


async def test_forgetting_a_citizen_erases_their_tickets(
    service: ChatService, tickets: Tickets
) -> None:
    ticket_id = await service.handover("zalo", OA_USER, QUESTION)
    tickets.store.forget("zalo", tickets.store.user_hash("zalo", OA_USER))
    assert tickets.store.ticket(ticket_id) is None
