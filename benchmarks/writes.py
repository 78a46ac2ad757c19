"""Database writes per answer, as PostgreSQL counts them (pg_stat_user_tables and
pg_stat_database) around N new questions through POST /api/ask and N through the Telegram
webhook, each from a citizen of its own, on one server (benchmarks/setups.py). Prints,
never asserts.

python benchmarks/writes.py [--questions 100]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.setups import Database, Servers, open_database  # noqa: E402
from benchmarks.stress import (  # noqa: E402
    Addresses,
    Platforms,
    Webhooks,
    distinct_questions,
    server_env,
)
from bot.settings import Settings  # noqa: E402

CONCURRENCY = 4
IDLE_SECONDS = 10.0
STATS_SETTLE_SECONDS = 11.0  # PostgreSQL 15 publishes an idle connection's counts within 10 s

Counts = dict[str, tuple[int, int, int]]


def difference(after: Counts, before: Counts) -> Counts:
    return {
        table: tuple(a - b for a, b in zip(counts, before.get(table, (0, 0, 0)), strict=True))
        for table, counts in after.items()
    }


def counted(database: Database) -> tuple[float, Counts]:
    """When, and the counts so far."""
    time.sleep(STATS_SETTLE_SECONDS)
    return time.monotonic(), database.writes()


async def ask(url: str, questions: Iterator[str], n: int) -> None:
    addresses = Addresses(url)
    numbers = iter(range(n))

    async def worker() -> None:
        for k in numbers:
            body = {"question": next(questions), "user_id": f"writes-{k}"}
            response = await addresses.client(f"127.0.2.{k % 250 + 1}").post("/api/ask", json=body)
            response.raise_for_status()

    try:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    finally:
        await addresses.close()


async def telegram(url: str, questions: Iterator[str], n: int) -> None:
    webhooks = Webhooks(url)
    try:
        for k in range(n):
            sent = await webhooks.telegram(200_000 + k, next(questions))
            assert sent.status == 200, sent
    finally:
        await webhooks.http.aclose()


def show(label: str, counts: Counts, answers: int, background: float) -> None:
    """Per answer; `background` commits are the idle server's, made meanwhile."""
    commits = counts.pop("(commits)", (0, 0, 0))[0] - background
    rows = sum(i + u + d for i, u, d in counts.values())
    print(f"{label}: {commits / answers:.2f} commits, {rows / answers:.2f} rows written per answer")
    for table, (i, u, d) in sorted(counts.items()):
        if i or u or d:
            print(
                f"  {table:20} {i / answers:5.2f} inserted {u / answers:5.2f} updated "
                f"{d / answers:5.2f} deleted"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100, help="per channel (100)")
    args = parser.parse_args()
    settings = Settings()
    questions = distinct_questions(settings.index_dir)
    platforms = Platforms.start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="cds-writes-") as folder,
            open_database("postgresql", Path(folder)) as database,
        ):
            env = server_env(settings, platforms) | database.env
            servers = Servers.start(env, Path(folder), 1, proxy=False)
            try:
                httpx.post(f"{servers.url}/api/ask", json={"question": "VNeID là gì"}, timeout=30)
                start = counted(database)
                time.sleep(IDLE_SECONDS)
                idle = counted(database)
                asyncio.run(ask(servers.url, questions, args.questions))
                after_api = counted(database)
                asyncio.run(telegram(servers.url, questions, args.questions))
                database.wait_for_inbox()
                after_telegram = counted(database)
            finally:
                servers.stop()
            n = args.questions
            per_second = difference(idle[1], start[1])["(commits)"][0] / (idle[0] - start[0])
            print(f"\nidle server: {per_second:.1f} commits/s (reads included)")
            for label, (then, before), (now, after) in (
                (f"POST /api/ask ({n} new questions)", idle, after_api),
                (f"Telegram webhook ({n} messages)", after_api, after_telegram),
            ):
                show(label, difference(after, before), n, per_second * (now - then))
            logged = int(database.rows("SELECT COUNT(*) FROM conversations")[0][0])
            print(f"answer log: {database.log_bytes() / logged:.0f} bytes per answer on disk")
    finally:
        platforms.stop()


if __name__ == "__main__":
    main()
