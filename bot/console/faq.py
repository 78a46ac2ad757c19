"""The FAQ editor: search, view, add, edit and delete entries, each checked by
`bot.faq_files` (the loader's own rules, problems shown by field) and shown as a diff
before it is written; the FAQ as a spreadsheet, downloaded and uploaded."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from .. import faq_files
from ..errors import FIELD_LABELS, FaqEditError, FaqEntryError, KnowledgeError, SheetError
from ..knowledge import TOPICS, FaqEntry, Knowledge, load_knowledge
from ..reports import PROVINCE_TZ
from ..text import fold, normalize
from .context import Editor, Visit, redirect, render

router = APIRouter()
PAGE_SIZE = 50
REBUILD_HINT = "Hãy xây lại chỉ mục để bot dùng nội dung mới."


@dataclass
class EntryForm:
    """The editor's fields as typed, and what is wrong with them."""

    mode: str = "add"  # add or update
    id: str = ""
    topic: str = ""
    questions: str = ""  # one phrasing a line, the main question first
    answer: str = ""
    source: str = ""
    url: str = ""
    updated: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, entry: FaqEntry) -> EntryForm:
        return cls(
            "update",
            entry.id,
            entry.topic,
            "\n".join(entry.questions),
            entry.answer,
            entry.source,
            entry.url or "",
            entry.updated,
        )

    @classmethod
    def read(cls, form: FormData) -> EntryForm:
        def text(name: str, limit: int = 5000) -> str:
            value = form.get(name, "")
            return value[:limit] if isinstance(value, str) else ""

        return cls(
            "update" if text("mode") == "update" else "add",
            text("id", 200).strip(),
            text("topic", 100).strip(),
            text("questions", 20000),
            text("answer", 20000),
            text("source", 1000),
            text("url", 1000),
            text("updated", 40),
        )

    def entry(self) -> FaqEntry:
        questions = tuple(line.strip() for line in self.questions.splitlines() if line.strip())
        return FaqEntry(
            id=self.id,
            topic=self.topic,
            questions=questions,
            answer=self.answer,
            source=self.source,
            updated=self.updated,
            url=self.url or None,
        )


@dataclass(frozen=True)
class Prepared:
    """An edit checked against the files: its diff, or why it cannot be made."""

    edit: faq_files.FaqEdit | None
    error: str | None = None

    @property
    def digest(self) -> str:
        diff = self.edit.diff() if self.edit else ""
        return hashlib.sha256(diff.encode("utf-8")).hexdigest()[:16]


def _today() -> str:
    return dt.datetime.now(PROVINCE_TZ).date().isoformat()


def _prepare(knowledge_dir: Path, form: EntryForm) -> Prepared:
    entry = form.entry()
    try:
        if form.mode == "update":
            edit = faq_files.prepare(knowledge_dir, update=[entry])
        else:
            edit = faq_files.prepare(knowledge_dir, add=[entry])
    except FaqEntryError as exc:
        for problem in exc.problems:
            form.problems.setdefault(problem.field, []).append(_sentence(problem.message))
        return Prepared(None, "Mục này chưa lưu được: xem các lỗi ghi dưới từng ô.")
    except (FaqEditError, KnowledgeError) as exc:
        return Prepared(None, str(exc))
    return Prepared(edit)


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _matches(entry: FaqEntry, words: list[str]) -> bool:
    text = fold(normalize(" ".join([entry.id, *entry.questions, entry.answer])))
    return all(word in text for word in words)


def _entry(knowledge: Knowledge, entry_id: str) -> FaqEntry | None:
    return next((e for e in knowledge.faqs if e.id == entry_id), None)


def _load(current: Visit) -> Knowledge:
    return load_knowledge([current.console.settings.knowledge_dir])


@router.get("/faq", response_class=HTMLResponse)
async def faq_list(current: Editor, q: str = "", topic: str = "") -> Response:
    knowledge = await asyncio.to_thread(_load, current)
    words = fold(normalize(q)).split()
    entries = [
        entry
        for entry in knowledge.faqs
        if (not topic or entry.topic == topic) and (not words or _matches(entry, words))
    ]
    return render(
        current,
        "faq_list.html",
        page="faq",
        q=q,
        topic=topic,
        topics=TOPICS,
        entries=entries[:PAGE_SIZE],
        found=len(entries),
        total=len(knowledge.faqs),
    )


def _editor(current: Visit, form: EntryForm, **context: object) -> Response:
    context.setdefault("prepared", None)
    context.setdefault("error", None)
    context.setdefault("note", None)
    return render(
        current,
        "faq_edit.html",
        status=int(context.pop("status", 200)),  # type: ignore[call-overload]
        page="faq",
        form=form,
        topics=TOPICS,
        labels=FIELD_LABELS,
        **context,
    )


@router.get("/faq/new", response_class=HTMLResponse)
async def faq_new(
    current: Editor,
    topic: str = "",
    q: Annotated[list[str] | None, Query()] = None,
) -> Response:
    form = EntryForm(topic=topic, questions="\n".join((q or [])[:20]), updated=_today())
    return _editor(current, form)


@router.get("/faq/export.xlsx")
async def faq_export(
    current: Editor,
) -> Response:
    from ..spreadsheet import workbook  # openpyxl loads when a sheet is first asked for

    def build() -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "faq.xlsx"
            workbook(_load(current).faqs).save(path)
            return path.read_bytes()

    body = await asyncio.to_thread(build)
    name = f"hoi-dap-{_today()}.xlsx"
    return Response(
        body,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/faq/import", response_class=HTMLResponse)
async def faq_import(current: Editor, request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(current, "/admin/faq", "Vui lòng chọn một tệp .xlsx hoặc .csv.")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        return redirect(current, "/admin/faq", "Chỉ nhận tệp .xlsx hoặc .csv.")
    data = await upload.read()
    from ..spreadsheet import import_faq  # openpyxl loads when a sheet is first sent

    dry_run = form.get("dry_run") == "1"
    knowledge_dir = current.console.settings.knowledge_dir

    def run() -> tuple[list[str], list[str], bool]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                result = import_faq(knowledge_dir, path, write=not dry_run)
            except SheetError as exc:
                return [exc.message], [str(problem) for problem in exc.problems], False
            except (FaqEditError, KnowledgeError) as exc:
                return [str(exc)], [], False
            return result.lines(), [], result.written and result.edit.changed

    lines, problems, written = await asyncio.to_thread(run)
    return render(
        current,
        "faq_import.html",
        status=400 if problems else 200,
        page="faq",
        filename=upload.filename,
        lines=lines,
        problems=problems,
        written=written,
        dry_run=dry_run,
        hint=REBUILD_HINT,
    )


@router.get("/faq/{entry_id}", response_class=HTMLResponse)
async def faq_entry(current: Editor, entry_id: str) -> Response:
    entry = _entry(await asyncio.to_thread(_load, current), entry_id)
    if entry is None:
        return redirect(current, "/admin/faq", f"Không có mục nào có id “{entry_id}”.")
    return _editor(current, EntryForm.of(entry))


@router.post("/faq/preview", response_class=HTMLResponse)
async def faq_preview(current: Editor, request: Request) -> Response:
    form = EntryForm.read(await request.form())
    prepared = await asyncio.to_thread(_prepare, current.console.settings.knowledge_dir, form)
    status = 400 if prepared.error else 200
    return _editor(current, form, prepared=prepared, error=prepared.error, status=status)


@router.post("/faq/save", response_class=HTMLResponse)
async def faq_save(current: Editor, request: Request) -> Response:
    raw = await request.form()
    form = EntryForm.read(raw)
    knowledge_dir = current.console.settings.knowledge_dir
    prepared = await asyncio.to_thread(_prepare, knowledge_dir, form)
    if prepared.error or prepared.edit is None:
        return _editor(current, form, prepared=prepared, error=prepared.error, status=400)
    if prepared.digest != raw.get("digest"):
        # The files changed since the preview: show what saving would do now.
        note = "Tệp hỏi đáp vừa thay đổi sau khi bạn xem trước. Vui lòng xem lại rồi lưu."
        return _editor(current, form, prepared=prepared, note=note, status=409)
    edit = prepared.edit
    if not edit.changed:
        return redirect(current, f"/admin/faq/{form.id}", "Không có gì thay đổi.")
    try:
        await asyncio.to_thread(edit.write)
    except FaqEditError as exc:
        return _editor(current, form, error=str(exc), status=409)
    saved = (edit.added or edit.updated)[0]
    done = "Đã thêm" if edit.added else "Đã lưu"
    return redirect(current, f"/admin/faq/{saved.id}", f"{done} mục “{saved.id}”. {REBUILD_HINT}")


def _deletion(knowledge_dir: Path, entry_id: str) -> Prepared:
    try:
        return Prepared(faq_files.prepare(knowledge_dir, delete=[entry_id]))
    except (FaqEditError, KnowledgeError) as exc:
        return Prepared(None, str(exc))


@router.get("/faq/{entry_id}/delete", response_class=HTMLResponse)
async def faq_delete_page(current: Editor, entry_id: str) -> Response:
    knowledge_dir = current.console.settings.knowledge_dir
    prepared = await asyncio.to_thread(_deletion, knowledge_dir, entry_id)
    if prepared.error:
        return redirect(current, "/admin/faq", prepared.error)
    return render(current, "faq_delete.html", page="faq", entry_id=entry_id, prepared=prepared)


@router.post("/faq/{entry_id}/delete", response_class=HTMLResponse)
async def faq_delete(current: Editor, entry_id: str, request: Request) -> Response:
    knowledge_dir = current.console.settings.knowledge_dir
    prepared = await asyncio.to_thread(_deletion, knowledge_dir, entry_id)
    if prepared.error or prepared.edit is None:
        return redirect(current, "/admin/faq", prepared.error)
    if prepared.digest != (await request.form()).get("digest"):
        return redirect(
            current,
            f"/admin/faq/{entry_id}/delete",
            "Tệp hỏi đáp vừa thay đổi. Vui lòng xem lại trước khi xóa.",
        )
    try:
        await asyncio.to_thread(prepared.edit.write)
    except FaqEditError as exc:
        return redirect(current, "/admin/faq", str(exc))
    return redirect(current, "/admin/faq", f"Đã xóa mục “{entry_id}”. {REBUILD_HINT}")
