"""Mixed traffic on the real server, every channel against local stand-ins. Prints, never
asserts; checks what must hold and says so.

python benchmarks/stress.py [--seconds 60] [--distinct-seconds 15]
    [--database sqlite|postgresql] [--replicas N] [--proxy]

What runs: `python -m bot serve` in a subprocess, with Telegram, Zalo OA and Zalo Bot pointed
at the stand-ins of tests/fakes (in a process of their own, on 127.0.0.1), the built index
and a throwaway database, and the default limits; or N of them sharing a throw-away
PostgreSQL and the index, behind Caddy running deploy/Caddyfile (benchmarks/setups.py), the
same traffic and the same checks. Then:
1. distinct questions only, through POST /api/ask, for --distinct-seconds;
2. --seconds of mixed traffic: API clients asking half distinct questions and half
   FAQ-like repeats (Zipf over tests/eval/dev.jsonl); citizens writing on all three webhooks;
   abusive clients (one address hammering the API, one filing hand-overs, one Telegram and
   one Zalo OA user flooding); and every few seconds three long questions followed by
   "xin chào", timed.
Each citizen comes from an address of its own in 127.0.0.0/8, as citizens behind their own
connections would (behind Caddy, the replicas read it from X-Forwarded-For). Then it waits
for the inbox to empty, stops the servers with SIGTERM and checks, in the shared database:
every webhook message acknowledged with 200 got exactly one reply at its platform (none
lost, none doubled) and is crossed off in the inbox, every answer was logged, no 5xx, and
the abusive clients got no more than their limits. Everything stays on loopback and stops
by itself, bounded in requests and time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the stand-ins live in tests/fakes, the set-ups beside

from benchmarks.setups import Database, Servers, open_database  # noqa: E402
from bot.channels.common import RATE_LIMITED_REPLY  # noqa: E402
from bot.index import resolve  # noqa: E402
from bot.settings import Settings, setting_names  # noqa: E402
from bot.text import fold, normalize  # noqa: E402
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram, message_update  # noqa: E402
from tests.fakes.zalo_api import FakeZaloBot, FakeZaloOA, signed_call, text_message  # noqa: E402

DEV_SET = ROOT / "tests" / "eval" / "dev.jsonl"
SEED = 57
TELEGRAM_SECRET = "stress-secret_0123"
APP_ID = "3608465249409039"
APP_SECRET = "app-secret-Kx9"
OA_SECRET = "oa-secret-Qm2"
BOT_TOKEN = "1459232241454765289:kLmNoPqRsTuV"
BOT_SECRET = "webhook-secret-8f3k2"

API_CLIENTS_DISTINCT = 16
API_CLIENTS_MIXED = 12  # each asks again as soon as answered: they find the server's pace
CITIZEN_ADDRESSES = 200  # 127.0.1.x: each API request comes from one of them
WEBHOOK_RATES = {"telegram": 2.0, "zalo": 3.0, "zalo-bot": 3.0}  # messages a second
ABUSER_API_RATE = 40.0  # requests a second from one address, as fast as it is let
ABUSER_HANDOVER_RATE = 5.0
ABUSER_CHAT_RATE = 10.0  # messages a second from one Telegram and one Zalo OA user
PROBE_EVERY_SECONDS = 10.0
LONG_QUESTION_CHARS = 3000
REQUEST_TIMEOUT = 30.0
P95_TARGET_MS = 300.0
GREETING_TARGET_MS = 100.0
# The server's defaults (bot/settings.py): what the abusive clients may get at most.
DEFAULTS = Settings()
VARIANTS: tuple[Callable[[str], str], ...] = (
    lambda q: q,
    fold,
    lambda q: f"cho tôi hỏi {q}",
    lambda q: f"xin hoi {fold(q)}",
)


# Questions ------------------------------------------------------------------------------


def dev_questions() -> list[str]:
    lines = DEV_SET.read_text("utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def faq_phrasings(index_dir: Path) -> list[str]:
    with sqlite3.connect(f"file:{resolve(index_dir) / 'chunks.sqlite'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT questions FROM sources").fetchall()
    return [q for (questions,) in rows for q in json.loads(questions)]


def distinct_questions(index_dir: Path) -> Iterator[str]:
    """Questions new to the server, by normalised form, for as long as asked."""
    base = dev_questions() + faq_phrasings(index_dir)
    seen: set[str] = set()
    for round_ in itertools.count():
        for variant in VARIANTS:
            for question in base:
                asked = variant(question) if round_ == 0 else f"{variant(question)} ({round_})"
                key = normalize(asked)
                if key and key not in seen:
                    seen.add(key)
                    yield asked


def repeats(rng: random.Random) -> Iterator[str]:
    """FAQ-like traffic: 150 dev-set questions asked with Zipf-like repetition."""
    pool = dev_questions()[:150]
    weights = np.array([1 / (rank + 1) for rank in range(len(pool))])
    weights /= weights.sum()
    while True:
        yield pool[int(np.searchsorted(np.cumsum(weights), rng.random()))]


def long_question(n: int) -> str:
    sentence = (
        f"Lần {n}: tôi đã cài ứng dụng VNeID, nhập số định danh cá nhân và số điện thoại, "
        "nhưng đến bước xác thực khuôn mặt thì ứng dụng báo lỗi và không gửi được mã. "
    )
    return (sentence * (LONG_QUESTION_CHARS // len(sentence) + 1))[:LONG_QUESTION_CHARS]


# Measuring ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one kind of client sent and got back."""

    latencies: list[float] = field(default_factory=list)  # seconds, of 200s
    statuses: Counter[int] = field(default_factory=Counter)

    def record(self, status: int, seconds: float) -> None:
        self.statuses[status] += 1
        if status == 200:
            self.latencies.append(seconds)

    @property
    def ok(self) -> int:
        return self.statuses[200]

    def percentiles(self) -> tuple[float, float, float]:
        if not self.latencies:
            return (float("nan"),) * 3
        p50, p95, p99 = np.percentile(np.asarray(self.latencies) * 1000, [50, 95, 99])
        return float(p50), float(p95), float(p99)


@dataclass
class Sent:
    """A webhook message: its platform, its recipient and the status the server gave it."""

    channel: str
    delivery_id: str
    recipient: str
    status: int


@dataclass
class Run:
    seconds: float
    distinct: Tally = field(default_factory=Tally)
    mixed_distinct: Tally = field(default_factory=Tally)
    mixed_repeat: Tally = field(default_factory=Tally)
    probes_long: Tally = field(default_factory=Tally)
    greetings: Tally = field(default_factory=Tally)
    greeting_overlap: list[int] = field(default_factory=list)  # long ones in flight
    abuser_api: Tally = field(default_factory=Tally)
    abuser_handover: Tally = field(default_factory=Tally)
    webhooks: list[Sent] = field(default_factory=list)
    floods: list[Sent] = field(default_factory=list)
    distinct_seconds: float = 0.0
    mixed_seconds: float = 0.0
    shutdown_seconds: float = float("nan")
    clean_shutdown: bool = False
    cpu: tuple[float, float, float] = (0.0, 0.0, 0.0)  # replicas, proxy, database: seconds


class Addresses:
    """httpx clients bound to their own loopback addresses (one citizen each)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._clients: dict[str, httpx.AsyncClient] = {}

    def client(self, address: str) -> httpx.AsyncClient:
        if address not in self._clients:
            transport = httpx.AsyncHTTPTransport(local_address=address)
            self._clients[address] = httpx.AsyncClient(
                base_url=self.url, transport=transport, timeout=REQUEST_TIMEOUT, trust_env=False
            )
        return self._clients[address]

    async def close(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients.values()))


async def timed(request) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        response = await request
        status = response.status_code
    except httpx.TimeoutException:
        status = 0  # no answer in time: counted apart from any HTTP status
    except httpx.TransportError:
        status = -1
    return status, time.perf_counter() - started


def citizen_address(rng: random.Random) -> str:
    return f"127.0.1.{rng.randint(1, CITIZEN_ADDRESSES)}"


# Traffic --------------------------------------------------------------------------------


async def api_worker(
    addresses: Addresses,
    deadline: float,
    rng: random.Random,
    pick: Callable[[], tuple[str, Tally]],
) -> None:
    while time.monotonic() < deadline:
        question, tally = pick()
        body = {"question": question, "user_id": f"citizen-{rng.getrandbits(48):x}"}
        client = addresses.client(citizen_address(rng))
        status, seconds = await timed(client.post("/api/ask", json=body))
        tally.record(status, seconds)


async def paced(rate: float, deadline: float, send: Callable[[int], object]) -> None:
    """Call `send(n)` `rate` times a second until the deadline, without waiting for it."""
    tasks: set[asyncio.Task] = set()
    started = time.monotonic()
    for n in itertools.count():
        due = started + n / rate
        if due >= deadline:
            break
        await asyncio.sleep(max(due - time.monotonic(), 0))
        task = asyncio.ensure_future(send(n))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)


class Webhooks:
    """Citizens (and flooders) writing to the three webhooks, as each platform posts."""

    def __init__(self, url: str, first_update: int = 1) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT, trust_env=False)
        # Telegram numbers updates for the whole bot: two senders must not reuse a number.
        self._updates = itertools.count(first_update)

    async def telegram(self, user: int, text: str) -> Sent:
        update_id = next(self._updates)
        update = message_update(update_id, text, chat_id=user, user_id=user)
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        status, _ = await timed(self.http.post("/webhook/telegram", json=update, headers=headers))
        return Sent("telegram", str(update_id), str(user), status)

    async def zalo(self, user: str, text: str, msg_id: str) -> Sent:
        body, headers = signed_call(APP_ID, OA_SECRET, text_message(APP_ID, user, text, msg_id))
        status, _ = await timed(self.http.post("/webhook/zalo", content=body, headers=headers))
        return Sent("zalo", msg_id, user, status)

    async def zalo_bot(self, user: str, text: str, message_id: str) -> Sent:
        update = {
            "event_name": "message.text.received",
            "message": {
                "from": {"id": user, "display_name": "Người dân", "is_bot": False},
                "chat": {"id": user, "chat_type": "PRIVATE"},
                "message_id": message_id,
                "date": int(time.time() * 1000),
                "text": text,
            },
        }
        headers = {"X-Bot-Api-Secret-Token": BOT_SECRET}
        status, _ = await timed(self.http.post("/webhook/zalo-bot", json=update, headers=headers))
        return Sent("zalo-bot", message_id, user, status)


async def distinct_phase(addresses: Addresses, run: Run, questions: Iterator[str]) -> None:
    rng = random.Random(SEED)
    deadline = time.monotonic() + run.distinct_seconds
    started = time.monotonic()
    pick = lambda: (next(questions), run.distinct)  # noqa: E731
    await asyncio.gather(
        *(api_worker(addresses, deadline, rng, pick) for _ in range(API_CLIENTS_DISTINCT))
    )
    run.distinct_seconds = time.monotonic() - started


async def mixed_phase(
    addresses: Addresses, webhooks: Webhooks, run: Run, questions: Iterator[str]
) -> None:
    """Citizens here; the abusive clients and the timed probes each from a process of their
    own, so that the load they make does not slow the clocks that time the citizens."""
    rng = random.Random(SEED + 1)
    faq = repeats(random.Random(SEED + 2))
    deadline = time.monotonic() + run.seconds
    citizens = itertools.count(1)

    def pick() -> tuple[str, Tally]:
        if rng.random() < 0.5:
            return next(questions), run.mixed_distinct
        return next(faq), run.mixed_repeat

    def message() -> str:
        return next(questions) if rng.random() < 0.5 else next(faq)

    async def telegram(n: int) -> None:
        run.webhooks.append(await webhooks.telegram(100_000 + next(citizens), message()))

    async def zalo(n: int) -> None:
        citizen = next(citizens)
        run.webhooks.append(await webhooks.zalo(f"zalo-{citizen}", message(), f"m-{citizen}"))

    async def zalo_bot(n: int) -> None:
        citizen = next(citizens)
        sent = await webhooks.zalo_bot(f"bot-{citizen}", message(), f"zb-{citizen}")
        run.webhooks.append(sent)

    sides = [Side(kind, addresses.url, run.seconds) for kind in ("abusers", "probes")]
    started = time.monotonic()
    await asyncio.gather(
        *(api_worker(addresses, deadline, rng, pick) for _ in range(API_CLIENTS_MIXED)),
        paced(WEBHOOK_RATES["telegram"], deadline, telegram),
        paced(WEBHOOK_RATES["zalo"], deadline, zalo),
        paced(WEBHOOK_RATES["zalo-bot"], deadline, zalo_bot),
    )
    abusers, probes = [await asyncio.to_thread(side.result) for side in sides]
    run.mixed_seconds = time.monotonic() - started
    run.abuser_api, run.abuser_handover, run.floods = abusers
    run.greetings, run.probes_long, run.greeting_overlap = probes


class Side:
    """Clients run from a process of their own; `result()` waits for what they got."""

    def __init__(self, kind: str, url: str, seconds: float) -> None:
        self._pipe, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.Process(
            target=_run_side, args=(kind, url, seconds, theirs), daemon=True
        )
        self._process.start()

    def result(self) -> tuple:
        result = self._pipe.recv()
        self._process.join(timeout=30)
        return result


def _run_side(kind: str, url: str, seconds: float, pipe: Connection) -> None:
    side = abusive_clients if kind == "abusers" else probes
    pipe.send(asyncio.run(side(url, seconds)))


async def abusive_clients(url: str, seconds: float) -> tuple[Tally, Tally, list[Sent]]:
    """One address hammering the API, one filing hand-overs, a Telegram and a Zalo OA user
    flooding the webhooks."""
    addresses, webhooks = Addresses(url), Webhooks(url, first_update=10_000_000)
    abuser, spammer = addresses.client("127.0.9.9"), addresses.client("127.0.9.10")
    api, handovers, floods = Tally(), Tally(), []

    async def abuse_api(n: int) -> None:
        body = {"question": "VNeID là gì", "user_id": "abuser"}
        api.record(*await timed(abuser.post("/api/ask", json=body)))

    async def spam_handovers(n: int) -> None:
        body = {"question": f"gặp cán bộ {n}", "user_id": f"spoofed-{n}"}
        handovers.record(*await timed(spammer.post("/api/handover", json=body)))

    async def flood_telegram(n: int) -> None:
        floods.append(await webhooks.telegram(666, "xin hỏi VNeID là gì"))

    async def flood_zalo(n: int) -> None:
        floods.append(await webhooks.zalo("zalo-flood", "VNeID là gì", f"flood-{n}"))

    deadline = time.monotonic() + seconds
    try:
        await asyncio.gather(
            paced(ABUSER_API_RATE, deadline, abuse_api),
            paced(ABUSER_HANDOVER_RATE, deadline, spam_handovers),
            paced(ABUSER_CHAT_RATE, deadline, flood_telegram),
            paced(ABUSER_CHAT_RATE, deadline, flood_zalo),
        )
    finally:
        await addresses.close()
        await webhooks.http.aclose()
    return api, handovers, floods


async def probes(url: str, seconds: float) -> tuple[Tally, Tally, list[int]]:
    """Every few seconds three long questions, then "xin chào" while they are in flight."""
    addresses = Addresses(url)
    greetings, longs_tally, overlap = Tally(), Tally(), []

    async def probe(n: int) -> None:
        client = addresses.client(f"127.0.8.{n % 50 + 1}")
        longs = [
            asyncio.ensure_future(
                timed(client.post("/api/ask", json={"question": long_question(n * 3 + i)}))
            )
            for i in range(3)
        ]
        await asyncio.sleep(0.2)  # the long questions are on their way to the model
        greetings.record(*await timed(client.post("/api/ask", json={"question": "xin chào"})))
        overlap.append(sum(not task.done() for task in longs))
        for status, took in await asyncio.gather(*longs):
            longs_tally.record(status, took)

    try:
        await paced(1 / PROBE_EVERY_SECONDS, time.monotonic() + seconds, probe)
    finally:
        await addresses.close()
    return greetings, longs_tally, overlap


# The platforms --------------------------------------------------------------------------


@dataclass
class Platforms:
    """The three stand-ins, served from a process of their own: in this one they would
    compete with the load clients for the interpreter and skew the latencies measured."""

    telegram_url: str
    zalo_url: str
    zalo_bot_url: str
    _pipe: Connection
    _process: multiprocessing.Process

    @classmethod
    def start(cls) -> Platforms:
        ours, theirs = multiprocessing.Pipe()
        process = multiprocessing.Process(target=_serve_platforms, args=(theirs,), daemon=True)
        process.start()
        telegram_url, zalo_url, zalo_bot_url = ours.recv()
        return cls(telegram_url, zalo_url, zalo_bot_url, ours, process)

    def replies(self) -> dict[tuple[str, str], list[str]]:
        """Texts each recipient got, by (channel, recipient)."""
        self._pipe.send("replies")
        return self._pipe.recv()

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=30)


def _serve_platforms(pipe: Connection) -> None:
    with (
        FakeTelegram() as telegram,
        FakeZaloOA(APP_ID, APP_SECRET) as zalo,
        FakeZaloBot(BOT_TOKEN) as zalo_bot,
    ):
        zalo.issue("access-1", "refresh-1")
        pipe.send((telegram.base_url, zalo.url, zalo_bot.url))
        while (command := pipe.recv()) != "stop":
            assert command == "replies"
            got: dict[tuple[str, str], list[str]] = defaultdict(list)
            for params in list(telegram.calls_to("sendMessage")):
                got["telegram", str(params["chat_id"])].append(params["text"])
            for sent in list(zalo.delivered()):
                got["zalo", sent.user_id].append(sent.text)
            for params in list(zalo_bot.calls_to("sendMessage")):
                got["zalo-bot", str(params["chat_id"])].append(params["text"])
            pipe.send(dict(got))


def server_env(settings: Settings, platforms: Platforms) -> dict[str, str]:
    """The replicas' settings but the database's: the channels pointed at the stand-ins."""
    inherited = {k: v for k, v in os.environ.items() if k not in setting_names()}
    # This machine is shared with the load clients and the stand-ins: the embedder's OpenMP
    # threads must sleep, not spin, while they wait (README, "Quality and speed").
    inherited.setdefault("OMP_WAIT_POLICY", "passive")
    values = {
        "CDS_INDEX_DIR": settings.index_dir.resolve(),
        "CDS_EMBEDDER": settings.embedder,
        "CDS_EMBED_THREADS": settings.embed_threads,
        "CDS_LOG_LEVEL": "WARNING",
        "CDS_INDEX_RELOAD_SECONDS": 0,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": platforms.telegram_url,
        "ZALO_APP_ID": APP_ID,
        "ZALO_APP_SECRET": APP_SECRET,
        "ZALO_OA_SECRET_KEY": OA_SECRET,
        "ZALO_ACCESS_TOKEN": "access-1",
        "ZALO_REFRESH_TOKEN": "refresh-1",
        "ZALO_API_BASE_URL": platforms.zalo_url,
        "ZALO_OAUTH_BASE_URL": platforms.zalo_url,
        "ZALO_BOT_TOKEN": BOT_TOKEN,
        "ZALO_BOT_WEBHOOK_SECRET": BOT_SECRET,
        "ZALO_BOT_API_BASE_URL": platforms.zalo_bot_url,
    }
    return inherited | {k: str(v) for k, v in values.items()}


# Checks and report ----------------------------------------------------------------------


@dataclass
class Checks:
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    not_crossed_off: int = 0
    answers_not_logged: int = 0
    flood_over_limit: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    logged: int = 0
    log_bytes: int = 0
    writes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # during the run


def check(
    run: Run,
    platforms: Platforms,
    database: Database,
    drain_seconds: float,
    writes_before: dict[str, tuple[int, int, int]],
) -> Checks:
    checks = Checks()
    replies = platforms.replies()
    for sent in run.webhooks:
        if sent.status != 200:
            continue
        texts = replies.get((sent.channel, sent.recipient), [])
        where = f"{sent.channel}:{sent.delivery_id}"
        if not texts:
            checks.lost.append(where)
        elif len(texts) != len(set(texts)):
            checks.doubled.append(where)
    done = set(database.rows("SELECT channel, delivery_id FROM inbox WHERE done_at IS NOT NULL"))
    logged = Counter(
        dict(database.rows("SELECT channel, COUNT(*) FROM conversations GROUP BY channel"))
    )
    acknowledged = [s for s in run.webhooks + run.floods if s.status == 200]
    checks.not_crossed_off = sum((s.channel, s.delivery_id) not in done for s in acknowledged)
    api_answers = sum(
        t.ok
        for t in (
            run.distinct,
            run.mixed_distinct,
            run.mixed_repeat,
            run.probes_long,
            run.greetings,
            run.abuser_api,
        )
    )
    # Every answer a platform delivered (notices of the limit aside) was logged once.
    answers = Counter(
        channel
        for (channel, _), texts in replies.items()
        for text in texts
        if text != RATE_LIMITED_REPLY
    )
    # An API client that gave up waiting (status 0) may still have been answered and logged.
    checks.answers_not_logged = max(api_answers - logged["api"], 0) + sum(
        abs(answers[c] - logged[c]) for c in ("telegram", "zalo", "zalo-bot")
    )
    # Each flooder may get its burst, the rate for the time its messages were being answered
    # (the traffic, then the inbox emptying), and one notice of the limit.
    window = run.mixed_seconds + drain_seconds
    allowed = DEFAULTS.rate_burst + DEFAULTS.rate_per_minute * window / 60 + 1
    for channel, recipient in (("telegram", "666"), ("zalo", "zalo-flood")):
        got = len(replies.get((channel, recipient), []))
        sent = sum(s.channel == channel for s in run.floods)
        checks.notes.append(f"{channel} flooder: {sent} messages, {got} replies")
        if got > allowed + 1:
            checks.flood_over_limit.append(f"{channel}: {got} replies > {allowed:.0f}")
    checks.logged = sum(logged.values())
    checks.log_bytes = database.log_bytes()
    after = database.writes()
    checks.writes = {
        table: tuple(
            now - then
            for now, then in zip(counts, writes_before.get(table, (0, 0, 0)), strict=True)
        )
        for table, counts in after.items()
    }
    return checks


def load() -> str:
    """The machine's load averages: on a shared machine the figures depend on them."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def rate(tally: Tally, seconds: float) -> float:
    return tally.ok / seconds if seconds else 0.0


def report(run: Run, checks: Checks, drain_seconds: float, setup: str) -> bool:
    """Print the figures and the checks; whether every check that must hold does."""
    normal = Tally()
    for tally in (run.mixed_distinct, run.mixed_repeat):
        normal.latencies += tally.latencies
        normal.statuses += tally.statuses
    all_statuses: Counter[int] = Counter()
    for tally in (
        run.distinct,
        run.mixed_distinct,
        run.mixed_repeat,
        run.probes_long,
        run.greetings,
        run.abuser_api,
        run.abuser_handover,
    ):
        all_statuses += tally.statuses
    all_statuses += Counter(s.status for s in run.webhooks + run.floods)
    fivexx = sum(n for status, n in all_statuses.items() if status >= 500)
    mixed_answers = normal.ok + run.greetings.ok + run.probes_long.ok
    webhook_ok = sum(s.status == 200 for s in run.webhooks)

    print(f"\n== cds-bot stress: {os.cpu_count()} cores, loopback only, load {load()} ==")
    print(f"set-up: {setup}")
    print(f"distinct questions only ({run.distinct_seconds:.0f} s, {API_CLIENTS_DISTINCT} clients)")
    p50, p95, p99 = run.distinct.percentiles()
    print(
        f"  answers/s {rate(run.distinct, run.distinct_seconds):7.1f}   "
        f"p50/p95/p99 {p50:.0f}/{p95:.0f}/{p99:.0f} ms   statuses {dict(run.distinct.statuses)}"
    )
    print(f"mixed traffic ({run.mixed_seconds:.0f} s)")
    print(
        f"  API answers/s        {mixed_answers / run.mixed_seconds:7.1f}  "
        f"(distinct {rate(run.mixed_distinct, run.mixed_seconds):.1f}, "
        f"repeats {rate(run.mixed_repeat, run.mixed_seconds):.1f})"
    )
    print(
        f"  webhook messages/s   {webhook_ok / run.mixed_seconds:7.1f}  ({len(run.webhooks)} sent)"
    )
    p50, p95, p99 = normal.percentiles()
    print(f"  citizens' API p50/p95/p99  {p50:.0f}/{p95:.0f}/{p99:.0f} ms")
    p50, _, _ = run.greetings.percentiles()
    worst = max(run.greetings.latencies, default=float("nan")) * 1000
    overlap = sum(run.greeting_overlap)
    print(
        f"  'xin chào' with long questions in flight: p50 {p50:.0f} ms, max {worst:.0f} ms "
        f"({run.greetings.ok} probes; {overlap} long questions still unanswered when it was)"
    )
    p50, p95, _ = run.probes_long.percentiles()
    print(f"  long (3,000-character) questions: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    print(
        f"  statuses, all clients: {dict(sorted(all_statuses.items()))}"
        " (0: no answer within 30 s, -1: connection failed)"
    )
    print(
        f"  429s: abusive API address {run.abuser_api.statuses[429]} "
        f"(allowed {run.abuser_api.ok} of {sum(run.abuser_api.statuses.values())}), "
        f"hand-over spammer {run.abuser_handover.statuses[429]} "
        f"(allowed {run.abuser_handover.ok}), citizens {normal.statuses[429]}"
    )
    ip_allowed = DEFAULTS.ip_rate_burst + DEFAULTS.ip_rate_per_minute * run.mixed_seconds / 60
    for note in checks.notes:
        print(f"  {note}")
    print(f"  inbox emptied {drain_seconds:.1f} s after the traffic stopped")
    report_database(checks)
    report_cpu(run, checks)
    print(
        f"  shutdown (SIGTERM) {run.shutdown_seconds:.1f} s, "
        f"{'clean' if run.clean_shutdown else 'NOT clean'}"
    )

    print("\nchecks (ok: holds; BAD: broken; MISS: a speed target not met on this machine)")
    must = [
        ("webhook messages acknowledged and not answered (lost)", len(checks.lost)),
        ("webhook messages answered twice (doubled)", len(checks.doubled)),
        ("acknowledged deliveries not crossed off in the inbox", checks.not_crossed_off),
        ("answers not logged", checks.answers_not_logged),
        ("5xx responses", fivexx),
        ("citizens refused with 429", normal.statuses[429]),
        ("flooders answered beyond their limit", len(checks.flood_over_limit)),
    ]
    for label, value in must:
        print(f"  {'ok ' if value == 0 else 'BAD'} {label}: {value}")
    held = run.abuser_api.ok <= ip_allowed + 1
    print(
        f"  {'ok ' if held else 'BAD'} abusive address held at its limit: "
        f"{run.abuser_api.ok} allowed, limit {ip_allowed:.0f}"
    )
    greeting = max(run.greetings.latencies, default=float("inf")) * 1000
    distinct_rate = rate(run.distinct, run.distinct_seconds)
    mixed_rate = mixed_answers / run.mixed_seconds
    targets = [
        (
            normal.percentiles()[1] <= P95_TARGET_MS,
            f"citizens' p95 {normal.percentiles()[1]:.0f} ms (target 300)",
        ),
        (
            greeting <= GREETING_TARGET_MS,
            f"'xin chào' worst {greeting:.0f} ms with long questions in flight (target 100)",
        ),
        (distinct_rate >= 60, f"distinct answers/s {distinct_rate:.1f} (target 60)"),
        (mixed_rate >= 150, f"mixed API answers/s {mixed_rate:.1f} (target 150)"),
    ]
    for met, text in targets:
        print(f"  {'ok ' if met else 'MISS'} {text}")
    for where in (checks.lost + checks.doubled)[:10]:
        print(f"    e.g. {where}")
    return held and all(value == 0 for _, value in must)


def report_cpu(run: Run, checks: Checks) -> None:
    """Answers per CPU second: a figure that holds on a shared machine, where answers per
    second of wall time depend on what else runs."""
    replicas, proxy, database = run.cpu
    if not replicas:
        return
    total = replicas + proxy + database
    print(
        f"  CPU during the traffic: replicas {replicas:.1f} s, proxy {proxy:.1f} s, "
        f"database server {database:.1f} s; answers per CPU second "
        f"{checks.logged / replicas:.1f} (replicas), {checks.logged / total:.1f} (all three)"
    )


def report_database(checks: Checks) -> None:
    """The answer log's size on disk, and (PostgreSQL) the rows and commits per answer."""
    if not checks.logged:
        return
    print(
        f"  database: {checks.logged} answers logged, "
        f"{checks.log_bytes / checks.logged:.0f} bytes each on disk (table and indexes)"
    )
    if not checks.writes:
        return
    commits = checks.writes.pop("(commits)", (0, 0, 0))[0]
    per = [
        f"{table} {i / checks.logged:.2f}/{u / checks.logged:.2f}/{d / checks.logged:.2f}"
        for table, (i, u, d) in sorted(checks.writes.items())
        if i or u or d
    ]
    print(f"  per answer: {commits / checks.logged:.2f} commits; rows inserted/updated/deleted:")
    print(f"    {', '.join(per)}")


# Main -----------------------------------------------------------------------------------


async def drive(url: str, run: Run, index_dir: Path) -> None:
    addresses = Addresses(url)
    webhooks = Webhooks(url)
    questions = distinct_questions(index_dir)
    try:
        await distinct_phase(addresses, run, questions)
        await mixed_phase(addresses, webhooks, run, questions)
    finally:
        await addresses.close()
        await webhooks.http.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="mixed traffic (60)")
    parser.add_argument("--distinct-seconds", type=float, default=15.0, help="phase 1 (15)")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="a SQLite file, or a throw-away PostgreSQL cluster (sqlite)",
    )
    parser.add_argument(
        "--replicas", type=int, default=1, help="servers sharing the database and index (1)"
    )
    parser.add_argument(
        "--proxy",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Caddy (deploy/Caddyfile) in front (the default with more than one replica)",
    )
    args = parser.parse_args()
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    if args.replicas > 1 and args.database == "sqlite":
        parser.error("replicas share a database: use --database postgresql")
    proxy = args.replicas > 1 if args.proxy is None else args.proxy
    settings = Settings()
    manifest = resolve(settings.index_dir) / "manifest.json"
    if not manifest.is_file():
        raise SystemExit(f"No index in {settings.index_dir}: run `make index` first.")
    run = Run(seconds=args.seconds, distinct_seconds=args.distinct_seconds)
    platforms = Platforms.start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="cds-stress-") as folder,
            open_database(args.database, Path(folder)) as database,
        ):
            env = server_env(settings, platforms) | database.env
            servers = Servers.start(env, Path(folder), args.replicas, proxy)
            writes_before = database.writes()
            cpu_before = (*servers.cpu_seconds(), database.cpu_seconds())
            try:
                asyncio.run(drive(servers.url, run, settings.index_dir))
                drain_seconds = database.wait_for_inbox()
                time.sleep(1.0)  # replies sent just before the last delivery was crossed off
                cpu_after = (*servers.cpu_seconds(), database.cpu_seconds())
                run.cpu = tuple(a - b for a, b in zip(cpu_after, cpu_before, strict=True))
            finally:
                run.shutdown_seconds, run.clean_shutdown = servers.stop()
            checks = check(run, platforms, database, drain_seconds, writes_before)
            if not report(run, checks, drain_seconds, f"{database.name}, {servers.describe()}"):
                kept = Path(tempfile.mkdtemp(prefix="cds-stress-logs-"))
                for log in Path(folder).glob("*.log"):
                    shutil.copy(log, kept)
                print(f"\nThe servers' and the proxy's logs are kept in {kept}")
    finally:
        platforms.stop()


if __name__ == "__main__":
    main()
