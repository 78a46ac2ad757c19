"""Named errors. Messages are written for the person who will read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class CdsError(Exception):
    """Base of every error cds-bot raises on purpose."""


class KnowledgeError(CdsError):
    """A knowledge source cannot be loaded; names the file and the line or entry."""

    def __init__(self, path: Path | str, detail: str, where: str | None = None) -> None:
        self.path = str(path)
        self.detail = detail
        self.where = where
        location = f"{self.path} ({where})" if where else self.path
        super().__init__(f"{location}: {detail}")


class IndexMissingError(CdsError):
    """No built index where one was expected."""

    def __init__(self, index_dir: Path | str) -> None:
        super().__init__(
            f"No index found in {index_dir}. Build it first with:\n"
            f"    python -m bot build-index --out {index_dir}"
        )


class IndexMismatchError(CdsError):
    """The index was built with another embedder or format than the one configured."""

    def __init__(self, index_dir: Path | str, built_with: str, configured: str) -> None:
        super().__init__(
            f"The index in {index_dir} was built with embedder '{built_with}', "
            f"but the configured embedder is '{configured}'. Rebuild it with:\n"
            f"    python -m bot build-index --out {index_dir} --embedder '{configured}'\n"
            f"or set CDS_EMBEDDER='{built_with}'."
        )


class IndexCorruptError(CdsError):
    """The index files exist but cannot be read (truncated, overwritten, half copied)."""

    def __init__(self, index_dir: Path | str, detail: str) -> None:
        super().__init__(
            f"The index in {index_dir} cannot be read ({detail}). Rebuild it with:\n"
            f"    python -m bot build-index --out {index_dir}"
        )


class EmbedderError(CdsError):
    """The embedder cannot be created or loaded."""


class ChannelError(CdsError):
    """A messaging platform rejected a call or could not be reached."""


class PlatformRefused(ChannelError):
    """The platform answered and will not take this message: sending it again cannot help."""


class TicketError(CdsError):
    """A team action on a ticket that cannot be done; the message (Vietnamese) is for the
    team member who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TicketNotFound(TicketError):
    """No ticket has this number."""


class TicketClosed(TicketError):
    """The ticket is closed: nothing more is sent to its citizen."""


class NotDelivered(TicketError):
    """The reply did not reach the citizen (the platform refused it, or its window ended)."""


class RequestError(CdsError):
    """A request the server will not serve; `code` is stable, `message` is for developers.
    The HTTP surface answers it with `status` and the API's one error shape."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class BadRequest(RequestError):
    """A body or parameter the server cannot use."""


class NotFound(RequestError):
    """Nothing of that id belongs to the caller (whether it exists for someone else is not said)."""

    status = 404


class UnsupportedMediaType(RequestError):
    """A body of another type than the one the route accepts."""

    status = 415


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of one entry of an FAQ edit, in words for editors."""

    index: int  # the entry's position in the edit's `add` followed by its `update` entries
    field: str  # id, topic, questions, answer, source, url or updated
    message: str  # Vietnamese, a sentence ending with a full stop
    phrasing: int | None = None  # for `questions`: which one (0 is the main question)
    clash: str | None = None  # the id of the other entry a phrasing or id clashes with
    clash_index: int | None = None  # the other entry's position, if it is in the edit


# The fields of an FAQ entry as editors call them.
FIELD_LABELS = {
    "id": "id",
    "topic": "chủ đề",
    "questions": "câu hỏi",
    "answer": "trả lời",
    "source": "nguồn",
    "url": "url",
    "updated": "cập nhật",
}


class FaqEditError(CdsError):
    """An FAQ edit cannot be made as asked; the message (Vietnamese) says why."""


class FaqEntryError(FaqEditError):
    """Entries of an FAQ edit break the knowledge base's rules; `problems` lists them all."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = tuple(problems)
        lines = [
            f"Mục {p.index + 1}, {FIELD_LABELS.get(p.field, p.field)}: {p.message}"
            for p in self.problems
        ]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one cell of an imported spreadsheet, in words for editors."""

    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str  # the column's header
    message: str

    def __str__(self) -> str:
        return f"Dòng {self.row}, cột “{self.column}”: {self.message}"


class SheetError(CdsError):
    """A spreadsheet cannot be imported; nothing was written. Vietnamese, for editors."""

    def __init__(self, message: str, problems: Sequence[RowProblem] = ()) -> None:
        self.message = message
        self.problems = tuple(problems)
        super().__init__("\n".join([message, *(str(problem) for problem in self.problems)]))


class StorageError(CdsError):
    """The database refused a read or a write (locked by another process, disk full…)."""


class RateLimited(CdsError):
    """A client or user asked faster than its limit; `retry_after` is in seconds."""

    message = (
        "Bạn gửi tin nhắn hơi nhanh nên tôi chưa kịp trả lời hết. Bạn vui lòng đợi khoảng "
        "một phút rồi gửi lại câu hỏi nhé."
    )

    def __init__(self, retry_after: float, first_refusal: bool = True) -> None:
        super().__init__(f"rate limited for {retry_after:.1f} s")
        self.retry_after = retry_after
        self.first_refusal = first_refusal  # the first since last allowed: tell the user once


class Overloaded(CdsError):
    """More questions wait for the model than it can answer soon; `retry_after` in seconds."""

    message = (
        "Hiện có rất nhiều người đang hỏi cùng lúc. Bạn vui lòng đợi vài giây rồi gửi lại câu "
        "hỏi nhé."
    )

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"answer queue full; retry in {retry_after:.1f} s")
        self.retry_after = retry_after
