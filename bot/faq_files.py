"""Writing FAQ entries back into the knowledge base's YAML files: add, update and delete.

A file stays as its editors wrote it. It is read as its leading comment block and its entry
blocks, each followed by the blank lines before the next; an edit rewrites only the blocks
it touches, in the house layout (keys in the order id, topic, questions, answer, source,
url, updated; the answer as a `|-` block; full diacritics), so the diff of an edit shows only
those entries. A new entry goes at the end of faq/<topic>.yaml, and so does an entry whose
topic changes. A file that cannot be split into blocks safely is written whole, keeping its
leading comments.

Nothing is written before the whole edit is checked: each entry with the loader's own rules
(`faq_entry_problems`, ids, phrasings shared with another entry), every problem reported at
once, then the files as they would be are loaded again by the loader. A prepared edit shows
its unified diff, or writes each file through a temporary file and `os.replace`, refusing if
a file changed since it was prepared.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import logging
import math
import os
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import FaqEditError, FaqEntryError, FieldProblem, KnowledgeError
from .knowledge import (
    MAX_ANSWER_CHARS,
    MIN_PHRASINGS,
    TOPICS,
    Document,
    EntryProblem,
    FaqEntry,
    Knowledge,
    check_shared_phrasings,
    faq_entry_problems,
    load_faq_yaml,
    load_knowledge,
    shared_phrasings,
)
from .text import fold, nfc, normalize

logger = logging.getLogger(__name__)

FAQ_FOLDER = "faq"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Words that open many questions and say nothing about the entry; left out of new ids.
_FILLER = re.compile(
    r"\b(lam the nao de|lam the nao|nhu the nao|the nao|lam sao de|lam sao|bang cach nao"
    r"|co duoc khong|duoc khong)\b"
)
_ID_WORDS = 4


@dataclass(frozen=True)
class FileEdit:
    """One file before and after an edit; None where the file does not exist."""

    path: Path
    name: str  # the path as editors know it: knowledge/faq/vneid.yaml
    before: str | None
    after: str | None

    def diff(self) -> str:
        """The unified diff of this file."""
        lines = difflib.unified_diff(
            (self.before or "").splitlines(keepends=True),
            (self.after or "").splitlines(keepends=True),
            fromfile=f"a/{self.name}" if self.before is not None else "/dev/null",
            tofile=f"b/{self.name}" if self.after is not None else "/dev/null",
        )
        return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


@dataclass(frozen=True)
class FaqEdit:
    """A checked edit of the FAQ files, ready to show as a diff or to write."""

    added: tuple[FaqEntry, ...]  # with their ids and the file they go to
    updated: tuple[FaqEntry, ...]
    deleted: tuple[FaqEntry, ...]  # as they were
    unchanged: tuple[FaqEntry, ...]  # asked for, but the same as the files already say
    files: tuple[FileEdit, ...]

    @property
    def changed(self) -> bool:
        return bool(self.files)

    def diff(self) -> str:
        """The unified diff of every file the edit changes."""
        return "".join(file.diff() for file in self.files)

    def write(self) -> None:
        """Write the changed files, each atomically; refuse if one changed since preparing."""
        if not self.files:
            return
        for file in self.files:
            if _read(file.path) != file.before:
                raise FaqEditError(
                    f"Tệp {file.name} vừa được sửa ở nơi khác sau khi chuẩn bị lần sửa này; "
                    "chưa ghi gì. Hãy làm lại với nội dung mới nhất."
                )
        for file in self.files:
            if file.after is None:
                file.path.unlink()
            else:
                _write_atomically(file.path, file.after)
        logger.info(
            "FAQ written: %d added, %d updated, %d deleted in %s",
            len(self.added),
            len(self.updated),
            len(self.deleted),
            ", ".join(file.name for file in self.files),
        )


def prepare(
    knowledge_dir: Path,
    *,
    add: Sequence[FaqEntry] = (),
    update: Sequence[FaqEntry] = (),
    delete: Sequence[str] = (),
    knowledge: Knowledge | None = None,
) -> FaqEdit:
    """Check an edit against the knowledge base under `knowledge_dir` and lay out its files.

    `add`: new entries; an empty id is made from the topic and the first question.
    `update`: entries replacing those with the same id. `delete`: ids to remove.
    `knowledge`: the knowledge base already loaded from `knowledge_dir`, if the caller has
    it (a file changed since it was loaded is refused, never written over).
    Raises FaqEntryError listing every problem of the entries (positions count `add`, then
    `update`), FaqEditError for an unknown id to delete or a file changed meanwhile, and
    KnowledgeError if the knowledge base does not load.
    """
    if knowledge is None:
        knowledge = load_knowledge([knowledge_dir])
    current = {entry.id: entry for entry in knowledge.faqs}
    unknown = [entry_id for entry_id in delete if entry_id not in current]
    if unknown:
        raise FaqEditError(f"Không có mục nào có id “{unknown[0]}” để xóa.")
    adds = [_clean(entry) for entry in add]
    updates = [_clean(entry) for entry in update]
    adds, updates = _checked(knowledge, adds, updates, set(delete))

    files = _Files(knowledge_dir, knowledge)
    deleted = [current[entry_id] for entry_id in dict.fromkeys(delete)]
    for entry in deleted:
        files.get(Path(entry.path)).remove(entry.id)
    added, updated, unchanged = [], [], []
    for entry in adds:
        target = files.topic_path(entry.topic)
        files.get(target).append(entry)
        added.append(dataclasses.replace(entry, path=str(target)))
    for entry in updates:
        old = current[entry.id]
        if _same(entry, old):
            unchanged.append(old)
            continue
        target = files.topic_path(entry.topic)
        if entry.topic != old.topic and Path(old.path) != target:
            files.get(Path(old.path)).remove(entry.id)
            files.get(target).append(entry)
        else:
            target = Path(old.path)
            files.get(target).replace(entry)
        updated.append(dataclasses.replace(entry, path=str(target)))

    edits = tuple(files.edits())
    _reload(knowledge, edits, expected=[*added, *updated], gone=[e.id for e in deleted])
    return FaqEdit(tuple(added), tuple(updated), tuple(deleted), tuple(unchanged), edits)


def preview(
    knowledge_dir: Path,
    *,
    add: Sequence[FaqEntry] = (),
    update: Sequence[FaqEntry] = (),
    delete: Sequence[str] = (),
) -> str:
    """The unified diff an edit would make, without writing anything."""
    return prepare(knowledge_dir, add=add, update=update, delete=delete).diff()


def add_entry(knowledge_dir: Path, entry: FaqEntry) -> FaqEdit:
    """Add one entry (an empty id is made from its topic and question) and write it."""
    edit = prepare(knowledge_dir, add=[entry])
    edit.write()
    return edit


def update_entry(knowledge_dir: Path, entry: FaqEntry) -> FaqEdit:
    """Replace the entry with the same id and write it (nothing is written if unchanged)."""
    edit = prepare(knowledge_dir, update=[entry])
    edit.write()
    return edit


def delete_entry(knowledge_dir: Path, entry_id: str) -> FaqEdit:
    """Remove the entry with this id and write its file."""
    edit = prepare(knowledge_dir, delete=[entry_id])
    edit.write()
    return edit


def new_entry_id(
    knowledge: Knowledge, topic: str, question: str, taken: Collection[str] = ()
) -> str:
    """A readable id not used yet: the prefix the topic's ids share, then the question's words."""
    prefixes = Counter(e.id.split("-")[0] for e in knowledge.faqs if e.topic == topic)
    prefix = prefixes.most_common(1)[0][0] if prefixes else topic
    folded = _FILLER.sub(" ", fold(nfc(question)).lower())
    words = [w for w in re.findall(r"[a-z0-9]+", folded) if w not in prefix.split("-")]
    base = "-".join([prefix, *words[:_ID_WORDS]]) if words else f"{prefix}-cau-hoi"
    used = {e.id for e in knowledge.faqs} | {d.id for d in knowledge.documents} | set(taken)
    candidate, number = base, 1
    while candidate in used:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def render_entry(entry: FaqEntry) -> str:
    """The entry as a block of an FAQ file, in the house layout."""
    lines = [f"- id: {_scalar(entry.id)}", f"  topic: {_scalar(entry.topic)}", "  questions:"]
    lines += [f"    - {_scalar(question)}" for question in entry.questions]
    lines += _answer_lines(entry.answer)
    lines.append(f"  source: {_scalar(entry.source)}")
    if entry.url:
        lines.append(f"  url: {_scalar(entry.url)}")
    updated = entry.updated if _is_date(entry.updated) else _scalar(entry.updated)
    lines.append(f"  updated: {updated}")
    return "\n".join(lines) + "\n"


# Rendering ------------------------------------------------------------------------------


def _scalar(value: str) -> str:
    """`value` as YAML on one line: plain where YAML reads it back as the same text."""
    text = yaml.safe_dump({"k": value}, allow_unicode=True, width=math.inf)
    if text.count("\n") > 1:  # a multi-line string: escape its line breaks instead
        text = yaml.safe_dump({"k": value}, allow_unicode=True, width=math.inf, default_style='"')
        return text.removeprefix('"k": ').rstrip("\n")
    return text.removeprefix("k: ").rstrip("\n")


def _answer_lines(answer: str) -> list[str]:
    block = ["  answer: |-", *(f"    {line}" if line else "" for line in answer.split("\n"))]
    # A literal block cannot hold every character (YAML reads U+2028 as a line break).
    try:
        if yaml.safe_load("\n".join(block)) == {"answer": answer}:
            return block
    except yaml.YAMLError:
        pass
    return [f"  answer: {_scalar(answer)}"]


def _is_date(value: str) -> bool:
    if not _ISO_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


# Checking -------------------------------------------------------------------------------

_MISSING = {
    "id": "chưa có id.",
    "topic": "chưa chọn chủ đề.",
    "questions": "chưa có câu hỏi.",
    "answer": "chưa có câu trả lời.",
    "source": "chưa ghi nguồn.",
    "updated": "chưa ghi ngày cập nhật.",
}


def _number(value: int) -> str:
    """1340 → 1.340, as numbers are written in Vietnamese."""
    return f"{value:,}".replace(",", ".")


def _clean(entry: FaqEntry) -> FaqEntry:
    """The entry as the loader would read it back: stripped, NFC, one kind of line break."""
    answer = entry.answer.replace("\r\n", "\n").replace("\r", "\n")
    return FaqEntry(
        id=entry.id.strip(),
        topic=entry.topic.strip(),
        questions=tuple(nfc(question.strip()) for question in entry.questions),
        answer=nfc(answer.strip()),
        source=nfc(entry.source.strip()),
        updated=entry.updated.strip(),
        url=(entry.url.strip() or None) if entry.url else None,
    )


def _raw(entry: FaqEntry) -> dict[str, object]:
    raw: dict[str, object] = {
        "id": entry.id,
        "topic": entry.topic,
        "questions": list(entry.questions),
        "answer": entry.answer,
        "source": entry.source,
        "updated": entry.updated,
    }
    if entry.url:
        raw["url"] = entry.url
    return raw


def _rule_problems(index: int, entry: FaqEntry, problem: EntryProblem) -> list[FieldProblem]:
    problems = []
    for field in problem.fields:
        if problem.rule == "missing":
            phrasing = 0 if field == "questions" else None
            problems.append(FieldProblem(index, field, _MISSING[field], phrasing))
        elif problem.rule == "bad-id":
            message = f"id “{entry.id}” chỉ được có chữ thường không dấu, chữ số và dấu “-”."
            problems.append(FieldProblem(index, field, message))
        elif problem.rule == "unknown-topic":
            message = f"không có chủ đề “{entry.topic}”; chọn một trong: {', '.join(TOPICS)}."
            problems.append(FieldProblem(index, field, message))
        elif problem.rule == "bad-questions":
            empty = next(i for i, q in enumerate(entry.questions) if not q)
            message = "chưa có câu hỏi." if empty == 0 else "có cách hỏi để trống."
            problems.append(FieldProblem(index, field, message, empty))
        elif problem.rule == "few-phrasings":
            message = (
                f"cần ít nhất {MIN_PHRASINGS} cách hỏi (câu hỏi và {MIN_PHRASINGS - 1} cách "
                f"hỏi khác), mới có {len(entry.questions)}."
            )
            problems.append(FieldProblem(index, field, message))
        elif problem.rule == "long-answer":
            message = (
                f"câu trả lời dài {_number(len(entry.answer))} ký tự, "
                f"tối đa {_number(MAX_ANSWER_CHARS)}."
            )
            problems.append(FieldProblem(index, field, message))
        else:  # cannot come from a FaqEntry; the loader's words are still true
            problems.append(FieldProblem(index, field, problem.detail))
    return problems


def _checked(
    knowledge: Knowledge, adds: list[FaqEntry], updates: list[FaqEntry], deleted: set[str]
) -> tuple[list[FaqEntry], list[FaqEntry]]:
    """The entries with their new ids, or FaqEntryError with every rule they break."""
    given = [*adds, *updates]
    current = {entry.id for entry in knowledge.faqs}
    documents = {document.id for document in knowledge.documents}
    problems: list[FieldProblem] = []
    for index, entry in enumerate(given):
        made_id = index < len(adds) and not entry.id
        for problem in faq_entry_problems(_raw(entry)):
            problems += [
                p
                for p in _rule_problems(index, entry, problem)
                if not (made_id and p.field == "id")
            ]

    first: dict[str, int] = {}
    for index, entry in enumerate(given):
        if not entry.id:
            continue
        if entry.id in first:
            message = f"id “{entry.id}” có hai lần trong lần sửa này."
            problems.append(FieldProblem(index, "id", message, clash_index=first[entry.id]))
        elif index < len(adds) and entry.id in current | documents:
            what = "tài liệu" if entry.id in documents else "mục"
            message = f"id “{entry.id}” đã được dùng cho một {what} khác."
            problems.append(FieldProblem(index, "id", message, clash=entry.id))
        elif index >= len(adds) and (entry.id not in current or entry.id in deleted):
            message = f"không có mục nào có id “{entry.id}”."
            problems.append(FieldProblem(index, "id", message))
        first.setdefault(entry.id, index)

    reserved = set(first)
    for index, entry in enumerate(adds):
        if not entry.id and entry.topic in TOPICS and entry.questions and entry.questions[0]:
            made = new_entry_id(knowledge, entry.topic, entry.questions[0], reserved)
            reserved.add(made)
            given[index] = adds[index] = dataclasses.replace(entry, id=made)

    problems += _shared_phrasings(knowledge, given, len(adds), deleted)
    if problems:
        problems.sort(key=lambda p: p.index)
        raise FaqEntryError(problems)
    return adds, updates


def _shared_phrasings(
    knowledge: Knowledge, given: list[FaqEntry], adds: int, deleted: set[str]
) -> list[FieldProblem]:
    """Phrasings the edit would give two entries, each blamed on the entry it is new to."""
    replaced = {entry.id for entry in given[adds:]} | deleted
    kept = [entry for entry in knowledge.faqs if entry.id not in replaced]
    # Entries still without an id get one that no real id can be, to tell them apart.
    probes = [
        entry if entry.id else dataclasses.replace(entry, id=f"#{i}")
        for i, entry in enumerate(given)
    ]
    position: dict[str, int] = {}
    for index, entry in enumerate(probes):
        position.setdefault(entry.id, index)
    had = {(entry.id, normalize(q)) for entry in knowledge.faqs for q in entry.questions}
    found: dict[tuple[int, int], FieldProblem] = {}
    # The loader's rule blames the later entry: updated entries come after the others,
    # new ones last; and an entry that already had the phrasing is never the one blamed.
    for entry, phrasing, other in shared_phrasings([*kept, *probes[adds:], *probes[:adds]]):
        key = normalize(phrasing)
        if (entry.id, key) in had and other.id in position and (other.id, key) not in had:
            entry, other = other, entry
        index = position[entry.id]
        number = next(i for i, q in enumerate(entry.questions) if normalize(q) == key)
        new = other.id.startswith("#")
        owner = "một mục mới khác" if new else f"mục “{other.id}”"
        message = f"cách hỏi “{entry.questions[number]}” trùng với một cách hỏi của {owner}."
        found.setdefault(
            (index, number),
            FieldProblem(
                index,
                "questions",
                message,
                phrasing=number,
                clash=None if new else other.id,
                clash_index=position.get(other.id),
            ),
        )
    return list(found.values())


def _same(entry: FaqEntry, other: FaqEntry) -> bool:
    return dataclasses.replace(entry, path="") == dataclasses.replace(other, path="")


def _reload(
    knowledge: Knowledge, edits: Iterable[FileEdit], expected: list[FaqEntry], gone: list[str]
) -> None:
    """Load the knowledge base as the edit leaves it, with the loader's own checks."""
    texts = {edit.path: edit.after for edit in edits}
    faqs: dict[str, list[FaqEntry]] = defaultdict(list)
    documents: dict[str, list[Document]] = defaultdict(list)
    for entry in knowledge.faqs:
        faqs[entry.path].append(entry)
    for document in knowledge.documents:
        documents[document.path].append(document)
    after = Knowledge()
    for path in sorted({Path(name) for name in knowledge.file_hashes} | set(texts)):
        if path not in texts:
            after.add(path, faqs[str(path)], documents[str(path)])
        elif (text := texts[path]) is not None:
            after.add(path, load_faq_yaml(path, text), [])
    check_shared_phrasings(after.faqs)
    written = {entry.id: entry for entry in after.faqs}
    for entry in expected:
        if written.get(entry.id) != entry:
            raise FaqEditError(f"Entry '{entry.id}' would not read back as written ({entry.path}).")
    for entry_id in gone:
        if entry_id in written:
            raise FaqEditError(f"Entry '{entry_id}' would still be in {written[entry_id].path}.")


# Files ----------------------------------------------------------------------------------


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    # A dot name: the loader skips it if a crash leaves it behind.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _is_trivia(line: str) -> bool:
    """A blank line or a comment at the start of a line: between entries, not in one."""
    return not line.strip() or line.startswith("#")


@dataclass
class _Block:
    entry_id: str
    body: str  # the entry's own lines
    gap: str  # blank lines and comments after it, up to the next entry


class _FaqFile:
    """One FAQ file as a header and entry blocks; untouched blocks keep their bytes."""

    def __init__(self, path: Path, text: str | None, entries: list[FaqEntry], title: str) -> None:
        self.path = path
        self.before = text
        self.newline = "\r\n" if text and "\r\n" in text else "\n"
        work = (text or "").replace("\r\n", "\n")
        split = None if text is None else _split(path, work, entries)
        self.header = ""
        self.blocks: list[_Block] = []
        if text is None:
            self.header = f"# Câu hỏi thường gặp: {title}.\n\n"
        elif split is not None:
            self.header, self.blocks = split
        else:
            logger.warning("%s: entries cannot be told apart in the text; writing it whole", path)
            header = []
            for line in work.splitlines(keepends=True):
                if not _is_trivia(line):
                    break
                header.append(line)
            self.header = "".join(header)
            self.blocks = [_Block(e.id, render_entry(e), "\n") for e in entries]
            if self.blocks:
                self.blocks[-1].gap = ""
        gaps = [block.gap for block in self.blocks[:-1]]
        blank = any(not line.strip() for gap in gaps for line in gap.splitlines())
        self.separator = "" if gaps and not blank else "\n"  # a blank line between entries

    def _index(self, entry_id: str) -> int:
        return next(i for i, block in enumerate(self.blocks) if block.entry_id == entry_id)

    def replace(self, entry: FaqEntry) -> None:
        self.blocks[self._index(entry.id)].body = render_entry(entry)

    def remove(self, entry_id: str) -> None:
        index = self._index(entry_id)
        if index == len(self.blocks) - 1 and index > 0:
            self.blocks[index - 1].gap = self.blocks[index].gap
        del self.blocks[index]

    def append(self, entry: FaqEntry) -> None:
        if self.blocks:
            last = self.blocks[-1]
            if not last.body.endswith("\n") and not last.gap:
                last.body += "\n"
            last.gap = last.gap or self.separator
            if not last.gap.endswith("\n"):
                last.gap += "\n"
        self.blocks.append(_Block(entry.id, render_entry(entry), ""))

    def after(self) -> str | None:
        if not self.blocks:
            return None
        text = self.header + "".join(block.body + block.gap for block in self.blocks)
        return text.replace("\n", self.newline)


def _split(path: Path, text: str, entries: list[FaqEntry]) -> tuple[str, list[_Block]] | None:
    """The header and one block per entry, or None if the blocks do not read as the entries."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("- ") or line.rstrip() == "-"]
    if not starts or len(starts) != len(entries):
        return None
    header = lines[: starts[0]]
    if not all(_is_trivia(line) for line in header):
        return None
    blocks: list[_Block] = []
    for number, (start, entry) in enumerate(zip(starts, entries, strict=True)):
        end = starts[number + 1] if number + 1 < len(starts) else len(lines)
        cut = end
        while cut > start + 1 and _is_trivia(lines[cut - 1]):
            cut -= 1
        body = "".join(lines[start:cut])
        try:
            alone = load_faq_yaml(path, body)
        except KnowledgeError:
            return None
        if alone != [entry]:
            return None
        blocks.append(_Block(entry.id, body, "".join(lines[cut:end])))
    return "".join(header), blocks


class _Files:
    """The FAQ files an edit touches, each read once."""

    def __init__(self, knowledge_dir: Path, knowledge: Knowledge) -> None:
        self.knowledge_dir = knowledge_dir
        self.entries: dict[str, list[FaqEntry]] = defaultdict(list)
        for entry in knowledge.faqs:
            self.entries[entry.path].append(entry)
        self.hashes = knowledge.file_hashes
        self.files: dict[Path, _FaqFile] = {}
        self.titles: dict[Path, str] = {}

    def topic_path(self, topic: str) -> Path:
        path = self.knowledge_dir / FAQ_FOLDER / f"{topic}.yaml"
        self.titles[path] = TOPICS.get(topic, topic)
        return path

    def get(self, path: Path) -> _FaqFile:
        if path not in self.files:
            text = _read(path)
            loaded = self.hashes.get(str(path))
            now = None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()
            if now != loaded:
                raise FaqEditError(
                    f"Tệp {self._name(path)} vừa được sửa ở nơi khác; chưa ghi gì. "
                    "Hãy làm lại với nội dung mới nhất."
                )
            title = self.titles.get(path, path.stem)
            self.files[path] = _FaqFile(path, text, self.entries[str(path)], title)
        return self.files[path]

    def edits(self) -> Iterable[FileEdit]:
        for path in sorted(self.files):
            file = self.files[path]
            after = file.after()
            if after != file.before:
                yield FileEdit(path, self._name(path), file.before, after)

    def _name(self, path: Path) -> str:
        relative = path.relative_to(self.knowledge_dir)
        return (Path(self.knowledge_dir.resolve().name) / relative).as_posix()
