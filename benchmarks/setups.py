"""What benchmarks/stress.py runs its traffic against: a database (a SQLite file, or a
throw-away PostgreSQL cluster started the way tests/pg.py starts one), N `python -m bot
serve` replicas sharing it and the index, and, in front of more than one, Caddy running the
repository's deploy/Caddyfile. The checks read the same database the replicas wrote."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet

from tests.caddy import Caddy, CaddyError, healthy
from tests.pg import throwaway_cluster

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_SECONDS = 180.0
DRAIN_SECONDS = 90.0
# Rows written to the answer log (the table and its indexes) by every answer.
LOG_RELATIONS = ("conversations", "conversations_created", "conversations_user")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU time a process has used, with (`children`) its children's: those it waited for
    and those still running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = sum(int(value) for value in fields[11 : 15 if children else 13])
    seconds = used / os.sysconf("SC_CLK_TCK")
    if children:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            with suppress(FileNotFoundError):  # gone meanwhile: counted by its parent
                seconds += cpu_seconds(int(child))
    return seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# The database ---------------------------------------------------------------------------


class Database:
    """Where the replicas keep everything; the checks query it after the traffic."""

    name: str
    env: dict[str, str]

    def rows(self, sql: str) -> list[tuple]:
        raise NotImplementedError

    def log_bytes(self) -> int:
        """Bytes on disk of the answer log: the table and its indexes."""
        raise NotImplementedError

    def writes(self) -> dict[str, tuple[int, int, int]]:
        """Rows inserted, updated and deleted so far, by table (PostgreSQL counts them)."""
        return {}

    def cpu_seconds(self) -> float:
        """CPU time the database server has used (none apart from the replicas for SQLite)."""
        return 0.0

    def unfinished(self) -> int:
        """Deliveries in the inbox not yet crossed off; -1 when it cannot be read."""
        try:
            return int(self.rows("SELECT COUNT(*) FROM inbox WHERE done_at IS NULL")[0][0])
        except (sqlite3.Error, psycopg.Error):
            return -1

    def wait_for_inbox(self) -> float:
        """Seconds until the inbox is empty (DRAIN_SECONDS at most)."""
        started = time.monotonic()
        while self.unfinished() != 0 and time.monotonic() - started < DRAIN_SECONDS:
            time.sleep(0.25)
        return time.monotonic() - started


class SQLiteFile(Database):
    name = "SQLite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {"CDS_DB_PATH": str(path)}

    def rows(self, sql: str) -> list[tuple]:
        db = sqlite3.connect(self.path, timeout=5)
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    def log_bytes(self) -> int:
        names = ", ".join(f"'{name}'" for name in LOG_RELATIONS)
        return int(self.rows(f"SELECT SUM(pgsize) FROM dbstat WHERE name IN ({names})")[0][0])


class PostgresDatabase(Database):
    name = "PostgreSQL"

    def __init__(self, url: str, folder: str) -> None:
        self.url = url
        self.folder = folder
        # Replicas on PostgreSQL must share the keys; the bot refuses to start without them.
        self.env = {
            "CDS_DATABASE_URL": url,
            "CDS_USER_HASH_SECRET": os.urandom(32).hex(),
            "CDS_TOKEN_KEY": Fernet.generate_key().decode(),
        }

    def rows(self, sql: str) -> list[tuple]:
        with psycopg.connect(self.url, connect_timeout=5) as db:
            return db.execute(sql).fetchall()

    def log_bytes(self) -> int:
        # The table's total counts its indexes and TOAST.
        return int(self.rows("SELECT pg_total_relation_size('conversations')")[0][0])

    def writes(self) -> dict[str, tuple[int, int, int]]:
        rows = self.rows(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
            " UNION ALL SELECT '(commits)', xact_commit, 0, 0 FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        return {name: (int(i), int(u), int(d)) for name, i, u, d in rows}

    def cpu_seconds(self) -> float:
        postmaster = Path(self.folder, "data", "postmaster.pid").read_text().split()[0]
        return cpu_seconds(int(postmaster), children=True)


@contextmanager
def open_database(kind: str, work: Path) -> Iterator[Database]:
    if kind == "sqlite":
        yield SQLiteFile(work / "stress.sqlite")
        return
    # Flushed to disk like a real server's: the benchmark measures what commits cost.
    with throwaway_cluster(durable=True) as cluster:
        yield PostgresDatabase(cluster.new_database(), cluster.folder)


# The servers ----------------------------------------------------------------------------


class Replica:
    """One `python -m bot serve` on a free loopback port."""

    def __init__(self, env: dict[str, str], work: Path, name: str) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = work / f"{name}.log"
        command = [sys.executable, "-m", "bot", "serve", "--host", HOST, "--port", str(self.port)]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                command, cwd=work, env=env, stdout=output, stderr=output
            )

    def wait_healthy(self) -> None:
        if healthy(self.url, self.process, START_SECONDS):
            return
        self.process.kill()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise SystemExit(f"The server did not start:\n{tail}")

    def clean(self) -> bool:
        return "Application shutdown complete" in self.log.read_text(errors="replace")


def start_proxy(replicas: list[Replica], work: Path) -> Caddy:
    """Caddy running deploy/Caddyfile in front of the replicas (as tests/test_deploy.py)."""
    try:
        return Caddy([replica.port for replica in replicas], work)
    except CaddyError as exc:
        raise SystemExit(str(exc)) from None


@dataclass
class Servers:
    """The replicas, and the proxy the traffic goes through when there is one."""

    url: str
    replicas: list[Replica]
    proxy: Caddy | None

    @classmethod
    def start(cls, env: dict[str, str], work: Path, replicas: int, proxy: bool) -> Servers:
        if proxy:
            # Caddy passes each client's address in X-Forwarded-For: the per-address limits
            # must count the citizens, not the proxy.
            env = env | {"CDS_FORWARDED_ALLOW_IPS": HOST}
        started = [Replica(env, work, f"replica-{n}") for n in range(1, replicas + 1)]
        for replica in started:
            replica.wait_healthy()
        front = start_proxy(started, work) if proxy else None
        return cls(front.url if front else started[0].url, started, front)

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time used so far by the replicas, and by the proxy."""
        replicas = sum(cpu_seconds(replica.process.pid) for replica in self.replicas)
        return replicas, cpu_seconds(self.proxy.process.pid) if self.proxy else 0.0

    def describe(self) -> str:
        n = len(self.replicas)
        where = " behind Caddy" if self.proxy else ""
        return f"{n} replica{'s' if n > 1 else ''}{where}"

    def stop(self) -> tuple[float, bool]:
        """SIGTERM to every replica at once; the seconds the slowest took, and whether all
        shut down cleanly."""
        started = time.monotonic()
        for replica in self.replicas:
            replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                replica.process.wait(timeout=max(60 - (time.monotonic() - started), 1))
            except subprocess.TimeoutExpired:
                replica.process.kill()
                replica.process.wait()
        seconds = time.monotonic() - started
        if self.proxy:
            self.proxy.stop()
        return seconds, all(replica.clean() for replica in self.replicas)
