"""The inbox on a real SQLite file: deliveries answered once, in the background, taken over
after a crash, tried again when the platform refuses, and answered even when the database
fails."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from pathlib import Path

import pytest

from bot import inbox as inbox_module
from bot.errors import ChannelError, PlatformRefused
from bot.inbox import Inbox
from bot.storage import Delivery, Store


class Platform:
    """Records the replies a handler sends; can refuse the next ones or hold them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str | None]] = []
        self.refusals = 0
        self.release = asyncio.Event()
        self.release.set()
        self.busy = 0
        self.most_busy = 0

    async def reply(self, delivery: Delivery) -> None:
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        try:
            await self.release.wait()
            if self.refusals:
                self.refusals -= 1
                raise ChannelError("HTTP 502")
            self.sent.append((delivery.delivery_id, delivery.text))
        finally:
            self.busy -= 1


@pytest.fixture
def platform() -> Platform:
    return Platform()


@pytest.fixture
async def inbox(store: Store, platform: Platform):
    box = Inbox(store, "zalo", platform.reply, lease_seconds=30, max_attempts=3)
    box.start()
    yield box
    await box.stop(1)


@pytest.fixture(autouse=True)
def short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox_module, "RETRY_PAUSES", (0.05, 0.05, 0.05, 0.05))


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute(
            "SELECT delivery_id, outcome, attempts, address, text FROM inbox ORDER BY delivery_id"
        ).fetchall()


async def test_a_delivery_is_answered_in_the_background_and_then_forgets_the_address(
    inbox: Inbox, platform: Platform, tmp_path: Path
) -> None:
    assert inbox.accept("m1", "u1", '{"user_id": "84912345678"}', "VNeID là gì?") is True
    await inbox.idle()
    assert platform.sent == [("m1", "VNeID là gì?")]
    assert rows(tmp_path / "db.sqlite") == [("m1", "sent", 1, None, None)]


async def test_a_retry_of_an_answered_delivery_is_not_answered_again(
    inbox: Inbox, platform: Platform
) -> None:
    inbox.accept("m1", "u1", "{}", "VNeID là gì?")
    await inbox.idle()
    assert inbox.accept("m1", "u1", "{}", "VNeID là gì?") is False
    await inbox.idle()
    assert platform.sent == [("m1", "VNeID là gì?")]


async def test_a_retry_while_the_answer_is_on_its_way_is_dropped(
    inbox: Inbox, platform: Platform
) -> None:
    platform.release.clear()
    inbox.accept("m1", "u1", "{}", "VNeID là gì?")
    await asyncio.sleep(0.05)
    assert inbox.accept("m1", "u1", "{}", "VNeID là gì?") is False
    platform.release.set()
    await inbox.idle()
    assert platform.sent == [("m1", "VNeID là gì?")]


async def test_a_refused_reply_is_tried_again_after_a_pause_and_delivered(
    inbox: Inbox, platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    platform.refusals = 2
    inbox.accept("m1", "u1", "{}", "VNeID là gì?")
    deadline = time.monotonic() + 10
    while not platform.sent:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    await inbox.idle()
    assert platform.sent == [("m1", "VNeID là gì?")]
    assert rows(tmp_path / "db.sqlite") == [("m1", "sent", 3, None, None)]
    assert caplog.text.count("not delivered (HTTP 502); trying again") == 2


async def test_a_reply_refused_every_time_is_given_up_and_logged(
    inbox: Inbox, platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    platform.refusals = 99
    inbox.accept("m1", "u1", '{"user_id": "1"}', "VNeID là gì?")
    deadline = time.monotonic() + 10
    while "given up" not in caplog.text:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert platform.sent == []
    assert rows(tmp_path / "db.sqlite") == [("m1", "failed", 3, None, None)]


async def test_deliveries_a_crashed_process_held_are_answered_once_its_lease_runs_out(
    store: Store, platform: Platform
) -> None:
    # A process that died mid-answer: its claim stays, and nobody renews it.
    store.inbox_add("zalo", "m1", "u1", "{}", "VNeID là gì?", "dead-process", time.time() + 0.3)
    store.inbox_add("zalo", "m2", "u2", "{}", "mã QR", None, 0.0)  # received, never claimed
    box = Inbox(store, "zalo", platform.reply, lease_seconds=0.3)
    box.start()
    try:
        deadline = time.monotonic() + 10
        while len(platform.sent) < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
    finally:
        await box.stop(1)
    assert sorted(platform.sent) == [("m1", "VNeID là gì?"), ("m2", "mã QR")]


async def test_a_live_worker_keeps_its_delivery_past_the_lease(
    store: Store, platform: Platform
) -> None:
    box = Inbox(store, "zalo", platform.reply, lease_seconds=1.5)
    other = Inbox(store, "zalo", platform.reply, lease_seconds=1.5)  # another process
    box.start()
    other.start()
    try:
        platform.release.clear()
        box.accept("m1", "u1", "{}", "VNeID là gì?")
        await asyncio.sleep(4.5)  # three leases: renewed, never taken over
        platform.release.set()
        await box.idle()
        await other.idle()
    finally:
        await box.stop(1)
        await other.stop(1)
    assert platform.sent == [("m1", "VNeID là gì?")]
    assert platform.most_busy == 1


async def test_a_clean_stop_hands_unfinished_deliveries_back_for_the_next_start(
    store: Store, platform: Platform
) -> None:
    platform.release.clear()
    box = Inbox(store, "zalo", platform.reply, lease_seconds=3600)
    box.start()
    box.accept("m1", "u1", "{}", "VNeID là gì?")
    await asyncio.sleep(0.05)
    await box.stop(0.1)  # the platform never answers
    assert platform.sent == []

    platform.release.set()
    again = Inbox(store, "zalo", platform.reply, lease_seconds=3600)
    again.start()
    try:
        await again.idle()
    finally:
        await again.stop(1)
    assert platform.sent == [("m1", "VNeID là gì?")]


async def test_no_more_deliveries_are_answered_at_once_than_the_concurrency(
    store: Store, platform: Platform
) -> None:
    platform.release.clear()
    box = Inbox(store, "zalo", platform.reply, concurrency=3)
    box.start()
    try:
        for n in range(10):
            box.accept(f"m{n}", "u", "{}", f"câu {n}")
        await asyncio.sleep(0.1)
        assert platform.busy == 3
        platform.release.set()
        await box.idle()
    finally:
        await box.stop(1)
    assert sorted(d for d, _ in platform.sent) == sorted(f"m{n}" for n in range(10))
    assert platform.most_busy == 3


async def test_when_the_database_fails_the_message_is_answered_and_the_failure_logged(
    store: Store, platform: Platform, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    box = Inbox(store, "zalo", platform.reply)
    box.start()
    other = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the database
    try:
        with caplog.at_level(logging.ERROR):
            box.accept("m1", "u1", '{"user_id": "1"}', "VNeID là gì?")
            deadline = time.monotonic() + 10
            while not platform.sent:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
    finally:
        other.execute("ROLLBACK")
        await box.stop(1)
    assert platform.sent == [("m1", "VNeID là gì?")]
    assert "zalo delivery not recorded, answered without a record user=u1" in caplog.text
    assert "database is locked" in caplog.text


async def test_a_reply_the_platform_refuses_outright_is_not_tried_again(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tries = []

    async def refused(delivery: Delivery) -> None:
        tries.append(delivery.delivery_id)
        raise PlatformRefused("the user has not written to the OA for 7 days")

    box = Inbox(store, "zalo", refused)
    box.start()
    try:
        box.accept("m1", "u1", "{}", "VNeID là gì?")
        await box.idle()
        await asyncio.sleep(0.2)  # longer than the pauses between tries
    finally:
        await box.stop(1)
    assert tries == ["m1"]
    assert rows(tmp_path / "db.sqlite") == [("m1", "refused", 1, None, None)]
    assert "zalo reply not delivered user=u1: the user has not written" in caplog.text
