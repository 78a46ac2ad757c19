"""Caddy running the repository's deploy/Caddyfile on a free loopback port, in front of
servers already listening: what tests/test_deploy.py and `make stress --replicas N` put
between the clients and the replicas."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_SECONDS = 30.0


class CaddyError(RuntimeError):
    """Caddy is missing or did not start (the message says which, with its log)."""


def healthy(url: str, process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Wait until `url`/healthz answers 200 (True), or `process` ends or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=2, trust_env=False).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


def caddy_path() -> str | None:
    return shutil.which("caddy")


class Caddy:
    def __init__(self, ports: Sequence[int], folder: Path) -> None:
        caddy = caddy_path()
        if caddy is None:
            raise CaddyError("Caddy is not installed: apt-get install caddy")
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(folder),
            "XDG_DATA_HOME": str(folder / "caddy-data"),
            "XDG_CONFIG_HOME": str(folder / "caddy-config"),
            "CDS_SITE": self.url,
            "CDS_REPLICAS": " ".join(f"{HOST}:{port}" for port in ports),
        }
        self.log = folder / "caddy.log"
        config = ROOT / "deploy" / "Caddyfile"
        command = [caddy, "run", "--adapter", "caddyfile", "--config", str(config)]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        if healthy(self.url, self.process, START_SECONDS):
            return
        self.process.kill()
        raise CaddyError(f"Caddy did not start:\n{self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
