"""Loading knowledge sources: Markdown documents, YAML FAQ entries, JSONL, PDF and DOCX.

Every problem is a KnowledgeError naming the file and the line or entry, raised before
anything is written, so a bad edit never reaches the index that is serving.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import KnowledgeError
from .text import nfc, normalize

TOPICS: dict[str, str] = {
    "vneid": "VNeID và định danh điện tử",
    "dich-vu-cong": "Dịch vụ công trực tuyến",
    "thanh-toan-so": "Thanh toán không dùng tiền mặt",
    "an-toan-mang": "An toàn trên không gian mạng",
    "binh-dan-hoc-vu-so": "Bình dân học vụ số",
    "to-cong-nghe-so": "Tổ công nghệ số cộng đồng",
    "nghi-quyet-57": "Nghị quyết 57 và Kế hoạch của tỉnh",
    "dich-vu-so": "Dịch vụ số thiết yếu",
    "chuyen-doi-so": "Chuyển đổi số: khái niệm, chương trình quốc gia",
    "chatbot": "Về trợ lý cds-bot",
    "ngoai-pham-vi": "Ngoài phạm vi: từ chối lịch sự",
    "tu-choi-vi-pham": "Từ chối: yêu cầu vi phạm pháp luật",
    "tu-choi-rieng-tu": "Từ chối: thông tin cá nhân của người khác",
    "y-te-khan-cap": "Sức khỏe, cấp cứu: hướng tới 115 và cơ sở y tế",
}
# Entries of these topics say what the bot does not do; the best match being one of them
# declines, and the topic names the kind of reply (bot.answer's intents).
DECLINE_TOPICS: dict[str, str] = {
    "ngoai-pham-vi": "out_of_scope",
    "tu-choi-vi-pham": "harmful",
    "tu-choi-rieng-tu": "privacy",
    "y-te-khan-cap": "emergency",
}
DECLINE_TOPIC = "ngoai-pham-vi"  # the plain "not what I answer" one


def declines(topic: str | None) -> bool:
    """Whether entries of a topic decline rather than answer."""
    return topic in DECLINE_TOPICS


MAX_ANSWER_CHARS = 1200
MIN_PHRASINGS = 3
REQUIRED_FIELDS = ("id", "topic", "questions", "answer", "source")
FAQ_FIELDS = (*REQUIRED_FIELDS, "url", "updated")
SKIPPED_NAMES = {"readme.md"}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class FaqEntry:
    id: str
    topic: str
    questions: tuple[str, ...]
    answer: str
    source: str
    updated: str
    url: str | None
    path: str = ""  # the file it was loaded from; empty for an entry not yet written


@dataclass(frozen=True)
class Section:
    headings: tuple[str, ...]  # heading path below the document title
    text: str

    @property
    def path(self) -> str:
        return " › ".join(self.headings)


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    sections: tuple[Section, ...]
    url: str | None
    path: str
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class Knowledge:
    faqs: list[FaqEntry] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)

    def add(self, path: Path, faqs: list[FaqEntry], documents: list[Document]) -> None:
        """Add one file's entries and documents; an id already used is an error."""
        seen = {e.id: e.path for e in self.faqs} | {d.id: d.path for d in self.documents}
        for item_id in [e.id for e in faqs] + [d.id for d in documents]:
            if item_id in seen:
                raise KnowledgeError(
                    path, f"duplicate id '{item_id}' (already used in {seen[item_id]})"
                )
            seen[item_id] = str(path)
        self.faqs.extend(faqs)
        self.documents.extend(documents)


def source_files(paths: Iterable[Path]) -> list[Path]:
    """Knowledge files under the given files or folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.name.lower() not in SKIPPED_NAMES
            )
        elif path.is_file():
            found.append(path)
        else:
            raise KnowledgeError(path, "no such file or folder")
    return found


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_knowledge(paths: Iterable[Path]) -> Knowledge:
    """Load every source under `paths`; raise KnowledgeError on the first problem."""
    knowledge = Knowledge()
    for path in source_files(paths):
        knowledge.file_hashes[str(path)] = file_hash(path)
        knowledge.add(path, *load_file(path))
    check_shared_phrasings(knowledge.faqs)
    return knowledge


def load_file(path: Path) -> tuple[list[FaqEntry], list[Document]]:
    """Load one knowledge file, choosing the loader by its extension."""
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        return load_faq_yaml(path), []
    if suffix == ".md":
        return [], [load_markdown(path)]
    if suffix == ".jsonl":
        return [], load_jsonl(path)
    if suffix == ".pdf":
        return [], [load_pdf(path)]
    if suffix == ".docx":
        return [], [load_docx(path)]
    raise KnowledgeError(
        path, "unknown file type (expected .md, .yaml, .yml, .jsonl, .pdf or .docx)"
    )


def _read_text(path: Path) -> str:
    try:
        return nfc(path.read_text("utf-8"))
    except UnicodeDecodeError as exc:
        raise KnowledgeError(path, f"not UTF-8 text (byte {exc.start})") from None


def _yaml_error(path: Path, exc: yaml.YAMLError) -> KnowledgeError:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}" if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    return KnowledgeError(path, f"invalid YAML: {problem}", where)


# FAQ -----------------------------------------------------------------------------------


def load_faq_yaml(path: Path, text: str | None = None) -> list[FaqEntry]:
    """Load a YAML list of FAQ entries (from `text` instead of the file when given)."""
    try:
        data = yaml.safe_load(_read_text(path) if text is None else nfc(text))
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None
    if not isinstance(data, list):
        raise KnowledgeError(path, "an FAQ file must be a YAML list of entries")
    entries = [_faq_entry(path, number, raw) for number, raw in enumerate(data, start=1)]
    ids = [entry.id for entry in entries]
    for entry_id in ids:
        if ids.count(entry_id) > 1:
            raise KnowledgeError(path, f"duplicate id '{entry_id}'")
    return entries


@dataclass(frozen=True)
class EntryProblem:
    """A rule an FAQ entry breaks: the fields at fault, the rule, and the loader's message."""

    fields: tuple[str, ...]
    rule: str  # missing, unknown-field, bad-id, unknown-topic, bad-questions, few-phrasings,
    # long-answer or not-a-mapping
    detail: str


def faq_entry_problems(raw: Any) -> list[EntryProblem]:
    """Every rule one raw FAQ entry breaks, in the order the loader reports them."""
    if not isinstance(raw, dict):
        detail = "an entry must be a mapping with id, topic, questions…"
        return [EntryProblem((), "not-a-mapping", detail)]
    problems: list[EntryProblem] = []
    missing = [key for key in REQUIRED_FIELDS if not raw.get(key)]
    if missing:
        detail = f"missing field(s): {', '.join(missing)}"
        problems.append(EntryProblem(tuple(missing), "missing", detail))
    unknown = sorted(set(raw) - set(FAQ_FIELDS))
    if unknown:
        detail = f"unknown field(s): {', '.join(unknown)}"
        problems.append(EntryProblem(tuple(unknown), "unknown-field", detail))
    if raw.get("id") and not _ID.match(str(raw["id"])):
        detail = "id must be lowercase letters, digits and '-'"
        problems.append(EntryProblem(("id",), "bad-id", detail))
    if raw.get("topic") and str(raw["topic"]) not in TOPICS:
        detail = f"unknown topic '{raw['topic']}' (expected one of: {', '.join(TOPICS)})"
        problems.append(EntryProblem(("topic",), "unknown-topic", detail))
    questions = raw.get("questions")
    if questions and (
        not isinstance(questions, list)
        or not all(isinstance(q, str) and q.strip() for q in questions)
    ):
        detail = "questions must be a list of non-empty strings"
        problems.append(EntryProblem(("questions",), "bad-questions", detail))
    elif questions and len(questions) < MIN_PHRASINGS:
        detail = f"needs at least {MIN_PHRASINGS} phrasings"
        problems.append(EntryProblem(("questions",), "few-phrasings", detail))
    if raw.get("answer"):
        length = len(nfc(str(raw["answer"]).strip()))
        if length > MAX_ANSWER_CHARS:
            detail = f"answer is {length} characters (at most {MAX_ANSWER_CHARS})"
            problems.append(EntryProblem(("answer",), "long-answer", detail))
    if not raw.get("updated"):
        problems.append(EntryProblem(("updated",), "missing", "missing field(s): updated"))
    return problems


def _faq_entry(path: Path, number: int, raw: Any) -> FaqEntry:
    where = f"entry {number}"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        where = f"entry {number}, id '{raw['id']}'"
    problems = faq_entry_problems(raw)
    if problems:
        raise KnowledgeError(path, problems[0].detail, where)
    updated = raw["updated"]
    if isinstance(updated, dt.date):
        updated = updated.isoformat()
    return FaqEntry(
        id=str(raw["id"]),
        topic=str(raw["topic"]),
        questions=tuple(nfc(q.strip()) for q in raw["questions"]),
        answer=nfc(str(raw["answer"]).strip()),
        source=nfc(str(raw["source"]).strip()),
        updated=str(updated),
        url=str(raw["url"]) if raw.get("url") else None,
        path=str(path),
    )


def shared_phrasings(entries: Iterable[FaqEntry]) -> Iterator[tuple[FaqEntry, str, FaqEntry]]:
    """(entry, phrasing, earlier entry) for each phrasing an earlier entry already has."""
    owner: dict[str, FaqEntry] = {}
    for entry in entries:
        for question in entry.questions:
            other = owner.setdefault(normalize(question), entry)
            if other.id != entry.id:
                yield entry, question, other


def check_shared_phrasings(entries: Iterable[FaqEntry]) -> None:
    """No phrasing (after normalising) belongs to two entries."""
    for entry, question, other in shared_phrasings(entries):
        raise KnowledgeError(
            entry.path,
            f"phrasing '{question}' is also a phrasing of '{other.id}' ({other.path})",
            f"id '{entry.id}'",
        )


# Documents -----------------------------------------------------------------------------


def load_markdown(path: Path) -> Document:
    """Load a Markdown document with YAML front matter (id and title required)."""
    text = _read_text(path)
    if not text.startswith("---"):
        raise KnowledgeError(
            path, "missing front matter (a '---' block with id and title)", "line 1"
        )
    end = text.find("\n---", 3)
    if end == -1:
        raise KnowledgeError(path, "front matter is not closed by '---'", "line 1")
    try:
        meta = yaml.safe_load(text[3:end]) or {}
    except yaml.YAMLError as exc:
        raise _yaml_error(path, exc) from None
    if not isinstance(meta, dict):
        raise KnowledgeError(path, "front matter must be a mapping", "line 1")
    for key in ("id", "title"):
        if not meta.get(key):
            raise KnowledgeError(path, f"front matter lacks '{key}'", "line 1")
    doc_id = str(meta["id"])
    if not _ID.match(doc_id):
        raise KnowledgeError(path, "id must be lowercase letters, digits and '-'", "front matter")
    body_start = text.find("\n", end + 1) + 1
    title = str(meta["title"]).strip()
    body = text[body_start:].lstrip()
    if body.startswith("# "):  # the document's own title line, not a section
        body = body.partition("\n")[2]
    sections = parse_sections(body)
    if not sections:
        raise KnowledgeError(path, "the document has no text")
    return Document(
        id=doc_id,
        title=title,
        sections=tuple(sections),
        url=str(meta["url"]) if meta.get("url") else None,
        path=str(path),
        meta={key: str(value) for key, value in meta.items() if value is not None},
    )


def parse_sections(body: str) -> list[Section]:
    """Split Markdown into sections by heading."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if text:
            sections.append(Section(tuple(h for _, h in stack), text))
        lines.clear()

    for line in body.splitlines():
        match = _HEADING.match(line)
        if not match:
            lines.append(line)
            continue
        flush()
        level, heading = len(match.group(1)), match.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading))
    flush()
    return sections


def load_jsonl(path: Path) -> list[Document]:
    """Load one document a line: {"id", "title", "text", "url"?}."""
    documents: list[Document] = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise KnowledgeError(path, f"invalid JSON: {exc.msg}", where) from None
        if not isinstance(raw, dict):
            raise KnowledgeError(path, "each line must be a JSON object", where)
        missing = [key for key in ("id", "title", "text") if not raw.get(key)]
        if missing:
            raise KnowledgeError(path, f"missing field(s): {', '.join(missing)}", where)
        title = nfc(str(raw["title"]).strip())
        sections = parse_sections(nfc(str(raw["text"])))
        if not sections:
            raise KnowledgeError(path, "the document has no text", where)
        documents.append(
            Document(
                id=str(raw["id"]),
                title=title,
                sections=tuple(sections),
                url=str(raw["url"]) if raw.get("url") else None,
                path=str(path),
            )
        )
    ids = [doc.id for doc in documents]
    for doc_id in ids:
        if ids.count(doc_id) > 1:
            raise KnowledgeError(path, f"duplicate id '{doc_id}'")
    return documents


def _plain_document(path: Path, paragraphs: Iterator[str]) -> Document:
    texts = [nfc(p.strip()) for p in paragraphs if p and p.strip()]
    if not texts:
        raise KnowledgeError(path, "no text could be extracted")
    title = texts[0][:200]
    doc_id = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"
    return Document(
        id=doc_id,
        title=title,
        sections=tuple(parse_sections("\n\n".join(texts[1:] or texts))),
        url=None,
        path=str(path),
    )


def load_pdf(path: Path) -> Document:
    """Load the text of a PDF; the file name is the id and the first line the title."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise KnowledgeError(path, f"unreadable PDF: {exc}") from None
    return _plain_document(path, iter("\n".join(pages).split("\n\n")))


def load_docx(path: Path) -> Document:
    """Load a Word document; its Heading styles become sections."""
    import zipfile

    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise KnowledgeError(path, f"unreadable DOCX: {exc}") from None

    def markdown() -> Iterator[str]:
        for paragraph in document.paragraphs:
            style = paragraph.style.name if paragraph.style is not None else ""
            level = style.removeprefix("Heading ").strip()
            if style.startswith("Heading") and level.isdigit():
                yield "#" * int(level) + " " + paragraph.text
            else:
                yield paragraph.text

    return _plain_document(path, markdown())
