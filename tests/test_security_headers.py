"""Security headers on every response, and who may embed the web chat."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.channels.common import ChatService
from bot.security_headers import frame_options
from bot.server import create_app
from bot.settings import Settings

PORTAL = "https://laichau.gov.vn"


@pytest.fixture
def client(chat_service: ChatService) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), service=chat_service)) as client:
        yield client


def csp(response) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources}."""
    directives = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    return dict(d.partition(" ")[::2] for d in directives if d)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/chat", 200),
        ("GET", "/static/chat.js", 200),
        ("GET", "/healthz", 200),
        ("POST", "/api/ask", 415),
        ("GET", "/khong-co", 404),
        ("GET", "/api/ask", 405),
    ],
)
def test_every_response_carries_the_security_headers(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    policy = csp(response)
    assert policy["frame-ancestors"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"


def test_a_500_carries_the_headers_too(
    chat_service: ChatService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat_service, "ask", None)  # calling it fails: an unexpected error
    with TestClient(create_app(Settings(), service=chat_service)) as client:
        response = client.post("/api/ask", json={"question": "VNeID"})
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]


def test_the_portal_can_embed_the_chat_and_x_frame_options_does_not_forbid_it(
    chat_service: ChatService,
) -> None:
    settings = Settings(CDS_FRAME_ANCESTORS=f"'self' {PORTAL}")
    with TestClient(create_app(settings, service=chat_service)) as client:
        response = client.get("/chat")
    assert csp(response)["frame-ancestors"] == f"'self' {PORTAL}"
    assert "x-frame-options" not in response.headers


def test_x_frame_options_says_what_frame_ancestors_says_when_it_can() -> None:
    assert frame_options("'none'") == "DENY"
    assert frame_options("'self'") == "SAMEORIGIN"
    assert frame_options(f"'self' {PORTAL}") is None
    assert frame_options(PORTAL) is None


@pytest.mark.parametrize("value", ["'self'; script-src *", "'self'\r\nX-Evil: 1", "a, b"])
def test_frame_ancestors_cannot_smuggle_other_directives(value: str) -> None:
    with pytest.raises(ValueError, match="CDS_FRAME_ANCESTORS"):
        Settings(CDS_FRAME_ANCESTORS=value)


def test_api_docs_are_off_unless_turned_on(chat_service: ChatService) -> None:
    with TestClient(create_app(Settings(), service=chat_service)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404
    settings = Settings(CDS_API_DOCS="true")
    with TestClient(create_app(settings, service=chat_service)) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert "swagger-ui" in docs.text
        assert "https://cdn.jsdelivr.net" in csp(docs)["script-src"]
        assert "/api/ask" in client.get("/openapi.json").json()["paths"]
