"""deploy/: the repository's Caddyfile in front of two real replicas (`python -m bot serve`
sharing one database), restarted one after the other while citizens keep asking."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .caddy import Caddy, caddy_path
from .conftest import ROOT, VNEID_ANSWER, VNEID_QUESTION
from .test_restart import Server

pytestmark = pytest.mark.skipif(
    caddy_path() is None, reason="Caddy is not installed: apt-get install caddy"
)


@pytest.fixture
def replicas(fixture_index: Path, tmp_path: Path) -> Iterator[tuple[list[Server], dict]]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "passive",
        "CDS_INDEX_DIR": str(fixture_index),
        "CDS_DB_PATH": str(tmp_path / "db.sqlite"),
        "CDS_INDEX_RELOAD_SECONDS": "0",
        "CDS_SHUTDOWN_SECONDS": "6",
        "CDS_DRAIN_SECONDS": "5",
        "CDS_FORWARDED_ALLOW_IPS": "127.0.0.1",
        # One test client asks everything: the limits are another test's business.
        "CDS_IP_RATE_PER_MINUTE": "100000",
        "CDS_IP_RATE_BURST": "100000",
    }
    servers = [Server(env, tmp_path, f"replica-{n}") for n in (1, 2)]
    yield servers, env
    for server in servers:
        server.kill()


class Citizens(threading.Thread):
    """Ask through the proxy without pause until stopped; keep every status and answer."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.results: list[tuple[int, str]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            n = 0
            while not self.stopping.is_set():
                n += 1
                try:
                    response = client.post(
                        "/api/ask", json={"question": VNEID_QUESTION, "user_id": f"dan-{n}"}
                    )
                    self.results.append((response.status_code, response.text))
                except httpx.HTTPError as exc:
                    self.results.append((-1, repr(exc)))


def test_a_rolling_restart_behind_the_proxy_loses_no_question(
    replicas: tuple[list[Server], dict], tmp_path: Path
) -> None:
    servers, env = replicas
    proxy = Caddy([server.port for server in servers], tmp_path)
    citizens = Citizens(proxy.url)
    citizens.start()
    try:
        time.sleep(1)
        for n, server in enumerate(servers):
            assert server.stop(within=20), server.log.read_text()[-3000:]
            # Questions are answered while this replica is down (by the other one).
            answered_before = len(citizens.results)
            deadline = time.monotonic() + 60
            while len(citizens.results) < answered_before + 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(citizens.results) >= answered_before + 3
            servers[n] = Server(env, tmp_path, f"replica-{n + 1}", port=server.port)
            time.sleep(3)  # the proxy's next health check sees it back
        time.sleep(1)
    finally:
        citizens.stopping.set()
        citizens.join(timeout=60)
        proxy.stop()
    failed = [(status, text[:200]) for status, text in citizens.results if status != 200]
    assert failed == [], proxy.log.read_text()[-3000:]
    assert len(citizens.results) >= 20
    assert all(VNEID_ANSWER in text for _, text in citizens.results)


def test_a_stopping_replica_says_it_is_draining_and_still_answers(
    replicas: tuple[list[Server], dict],
) -> None:
    server = replicas[0][0]
    server.process.send_signal(signal.SIGTERM)
    health = httpx.get(f"{server.url}/healthz", timeout=10)
    asked = server.post("/api/ask", json={"question": VNEID_QUESTION})
    assert health.status_code == 503
    assert health.json() == {"status": "draining"}
    assert asked.status_code == 200
    assert VNEID_ANSWER in asked.json()["answer"]
    server.process.wait(timeout=30)
    assert "Application shutdown complete" in server.log.read_text()
