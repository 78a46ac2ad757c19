"""A throw-away PostgreSQL cluster for the tests (started once per session) and the stress
benchmark.

PostgreSQL refuses to run as root, so the cluster belongs to the package's `postgres` user: a
temporary folder of its own, a free port on 127.0.0.1 and a Unix socket in that folder. Each
test gets a fresh database in it. Without PostgreSQL installed, the tests that need it are
skipped, saying how to install it."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

INSTALL = "apt-get install -y postgresql"
_numbers = itertools.count(1)


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return os.path.dirname(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(pg_ctl) if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    bin_dir: str
    folder: str
    port: int
    _as_postgres: list[str]

    def run(self, *command: str) -> None:
        subprocess.run(
            [*self._as_postgres, os.path.join(self.bin_dir, command[0]), *command[1:]],
            check=True,
            capture_output=True,
            cwd=self.folder,
        )

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; its URL."""
        name = f"cds_test_{os.getpid()}_{next(_numbers)}"
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)


@contextmanager
def throwaway_cluster(*, durable: bool = False) -> Iterator[Cluster]:
    """A PostgreSQL server in a temporary folder, removed on exit; RuntimeError when
    PostgreSQL is not installed. Tests skip the flushes to disk; a benchmark (`durable`)
    keeps them, as a real server would."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError(f"PostgreSQL is not installed: {INSTALL}")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    folder = tempfile.mkdtemp(prefix="cds-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(bin_dir, folder, _free_port(), as_postgres)
    data = os.path.join(folder, "data")
    try:
        cluster.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1"
        options += " -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = os.path.join(folder, "server.log")
        cluster.run("pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start")
        yield cluster
    finally:
        subprocess.run(
            [*as_postgres, os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "immediate", "stop"],
            capture_output=True,
            cwd=folder,
        )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for the session (skipped when PostgreSQL is not installed)."""
    if _bin_dir() is None:
        pytest.skip(f"PostgreSQL is not installed: {INSTALL}")
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture
def pg_url(postgres_cluster: Cluster) -> str:
    """The URL of a fresh, empty PostgreSQL database."""
    return postgres_cluster.new_database()
