"""Write the report of a month of made-up traffic, for docs/report.png and for trying the
layout: questions from the knowledge base's own FAQ phrasings, a few declined ones,
feedback and hand-overs, seeded so every run writes the same figures.

    python scripts/report_demo.py [--month 2026-11] [--out bench-out/report-demo]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from pathlib import Path
from unittest import mock

from bot import storage
from bot.knowledge import TOPICS, load_knowledge
from bot.reports import Period, gather, write_report
from bot.storage import Store

ROOT = Path(__file__).resolve().parent.parent
CHANNELS = {"zalo": 0.5, "api": 0.25, "telegram": 0.15, "zalo-bot": 0.1}
DECLINED = [
    "Giá vàng hôm nay bao nhiêu?",
    "gia vang hom nay",
    "Lịch cắt điện ở Tam Đường tuần này",
    "lich cat dien tam duong",
    "Xin số điện thoại bác sĩ trạm y tế xã",
    "Khi nào có kết quả xổ số?",
    "Làm sao để vay tiền online nhanh?",
    "Đổi giấy phép lái xe sang thẻ PET ở đâu?",
    "doi bang lai xe o dau",
]


def seed(store: Store, period: Period, rng: random.Random) -> None:
    faqs = [e for e in load_knowledge([ROOT / "knowledge"]).faqs if e.topic != "ngoai-pham-vi"]
    start, end = period.bounds
    moments = sorted(rng.uniform(start, end) for _ in range(rng.randint(1100, 1300)))
    for when in moments:
        with mock.patch.object(storage.time, "time", return_value=when):
            channel = rng.choices(list(CHANNELS), weights=list(CHANNELS.values()))[0]
            if rng.random() < 0.16:
                question = rng.choice(DECLINED)
                conversation = store.log_conversation(
                    channel, "demo", question, False, "none", 0.2, None
                )
            else:
                entry = rng.choice(faqs)
                question = rng.choice(entry.questions)
                conversation = store.log_conversation(
                    channel, "demo", question, True, "faq", 0.8, entry.id
                )
            if rng.random() < 0.2:
                store.add_feedback(channel, "demo", conversation, rng.random() < 0.82)
            if rng.random() < 0.02:
                handover = store.add_handover(channel, "demo", question)
                if rng.random() < 0.7:
                    store.close_handover(handover)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--out", default="bench-out/report-demo")
    parser.add_argument("--unit", default="Sở Khoa học và Công nghệ tỉnh Lai Châu")
    args = parser.parse_args()
    period = Period.parse("month", args.month)
    rng = random.Random(57)
    faqs = load_knowledge([ROOT / "knowledge"]).faqs
    topics = {e.id: TOPICS[e.topic] for e in faqs}
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "demo.sqlite3", user_hash_secret="demo")
        seed(store, period.previous(), rng)
        seed(store, period, rng)
        data = gather(store, period, topics=topics, now=period.bounds[1] + 3 * 86400)
        store.close()
    files = write_report(data, Path(args.out), unit=args.unit)
    print(files.html)


if __name__ == "__main__":
    main()
