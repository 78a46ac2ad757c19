"""The real knowledge base and dev set: complete, well-formed, and in good Vietnamese."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter

import pytest

from bot.knowledge import DECLINE_TOPICS, MAX_ANSWER_CHARS, TOPICS, load_knowledge
from bot.text import fold, has_diacritics, normalize

from .conftest import KNOWLEDGE, ROOT

DEV_SET = ROOT / "tests" / "eval" / "dev.jsonl"
CITIZEN_TOPICS = [t for t in TOPICS if t not in DECLINE_TOPICS]
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


@pytest.fixture(scope="module")
def knowledge():
    # load_knowledge itself fails, naming the file and entry, on a bad schema, an unknown
    # topic, a duplicate id, a phrasing shared by two entries or an overlong answer.
    return load_knowledge([KNOWLEDGE])


@pytest.fixture(scope="module")
def dev_cases() -> list[dict]:
    return [json.loads(line) for line in DEV_SET.read_text("utf-8").splitlines() if line.strip()]


def test_every_citizen_topic_has_at_least_eight_entries(knowledge) -> None:
    counts = Counter(e.topic for e in knowledge.faqs)
    assert {t: counts[t] for t in CITIZEN_TOPICS if counts[t] < 8} == {}
    assert sum(counts[t] for t in CITIZEN_TOPICS) >= 150


def test_every_entry_is_complete(knowledge) -> None:
    problems = []
    for e in knowledge.faqs:
        where = f"{e.path} {e.id}"
        if not e.id.startswith(tuple(_PREFIXES[e.topic])):
            problems.append(f"{where}: id does not start with its topic prefix")
        if len(e.questions) < 3:
            problems.append(f"{where}: fewer than 3 phrasings")
        if not any(not has_diacritics(q) for q in e.questions):
            problems.append(f"{where}: no phrasing typed as on a phone (without diacritics)")
        if not (0 < len(e.answer) <= MAX_ANSWER_CHARS):
            problems.append(f"{where}: answer length {len(e.answer)}")
        if not e.source.strip() or not re.match(r"^\d{4}-\d{2}-\d{2}$", e.updated):
            problems.append(f"{where}: source or updated date missing")
        if _EMOJI.search(e.answer):
            problems.append(f"{where}: emoji in the answer")
        if unicodedata.normalize("NFC", e.answer) != e.answer:
            problems.append(f"{where}: answer is not NFC")
        if not has_diacritics(e.answer):
            problems.append(f"{where}: answer without diacritics")
    assert problems == []


_PREFIXES = {
    "vneid": ["vneid-"],
    "dich-vu-cong": ["dvc-"],
    "thanh-toan-so": ["ttso-"],
    "an-toan-mang": ["atm-"],
    "binh-dan-hoc-vu-so": ["bdhvs-"],
    "to-cong-nghe-so": ["tcns-"],
    "nghi-quyet-57": ["nq57-"],
    "dich-vu-so": ["dvso-"],
    "chuyen-doi-so": ["cds-"],
    "chatbot": ["bot-"],
    "ngoai-pham-vi": ["ngoai-"],
    "tu-choi-vi-pham": ["tcvp-"],
    "tu-choi-rieng-tu": ["tcrt-"],
    "y-te-khan-cap": ["ytkc-"],
}


def test_the_plan_is_complete(knowledge) -> None:
    plan = next(d for d in knowledge.documents if d.id == "ke-hoach-tuyen-truyen-nq57-lai-chau")
    parts = {s.headings[0] for s in plan.sections}
    for part in (
        "I. MỤC ĐÍCH, YÊU CẦU",
        "II. NỘI DUNG TUYÊN TRUYỀN",
        "III. HÌNH THỨC TUYÊN TRUYỀN",
        "V. TỔ CHỨC THỰC HIỆN",
    ):
        assert part in parts
    tasks = [
        s for s in plan.sections if len(s.headings) == 2 and s.headings[1].startswith("Nhiệm vụ ")
    ]
    assert len(tasks) == 19
    for task in tasks:
        for field in (
            "Tên nhiệm vụ:",
            "Cơ quan chủ trì:",
            "Cơ quan phối hợp:",
            "Thời gian hoàn thành:",
        ):
            assert field in task.text, task.path
    for key in ("title", "doc_number", "date", "issuer", "signer", "source"):
        assert plan.meta.get(key), key


def test_resolution_57_states_its_date_issuer_and_signer(knowledge) -> None:
    resolution = next(d for d in knowledge.documents if d.id == "nghi-quyet-57-nq-tw")
    text = " ".join(s.text for s in resolution.sections)
    assert "22/12/2024" in text and "Bộ Chính trị" in text and "Tô Lâm" in text
    groups = {s.headings[1] for s in resolution.sections if len(s.headings) == 2}
    assert sum(1 for g in groups if g.startswith("Nhóm ")) == 7


def test_dev_set_is_large_varied_and_labelled(dev_cases, knowledge) -> None:
    ids = {e.id for e in knowledge.faqs}
    inside = [c for c in dev_cases if c["in_scope"]]
    outside = [c for c in dev_cases if not c["in_scope"]]
    assert len(dev_cases) >= 120 and len(outside) >= 20
    variants = Counter(c["variant"] for c in dev_cases)
    assert variants["no_diacritics"] >= 0.25 * len(dev_cases)
    assert variants["teencode"] >= 0.10 * len(dev_cases)
    for case in inside:
        assert case.get("expected_id") in ids or case.get("expected_phrases"), case
    for case in outside:
        assert case.get("expected_id") is None


def test_dev_questions_are_not_copies_of_faq_phrasings(dev_cases, knowledge) -> None:
    phrasings = {fold(normalize(q)) for e in knowledge.faqs for q in e.questions}
    copies = [c["question"] for c in dev_cases if fold(normalize(c["question"])) in phrasings]
    assert copies == []
