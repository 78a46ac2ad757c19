"""The answer core every channel shares: a question in, an Answer with its sources out.

Answers are retrieved, never generated: an FAQ answer as written by editors, or the
sentences of a document that best match the question, always with their source. Below the
calibrated confidence the bot says it does not know and offers a person instead.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from threading import Lock
from typing import Literal

import numpy as np

from .chunking import split_sentences
from .knowledge import DECLINE_TOPIC
from .search import Hit, Retriever
from .text import fold, lexical_tokens, normalize

Kind = Literal["faq", "document", "none"]
Intent = Literal["question", "greeting", "thanks", "about", "handover", "empty"]

MAX_QUESTION_CHARS = 4000
DOCUMENT_ANSWER_CHARS = 700

GREETING_REPLY = (
    "Xin chào! Tôi là trợ lý hỏi đáp về chuyển đổi số của tỉnh Lai Châu. "
    "Bạn có thể hỏi tôi về VNeID, dịch vụ công trực tuyến, thanh toán không dùng tiền mặt, "
    "an toàn trên mạng, Bình dân học vụ số, Tổ công nghệ số cộng đồng hoặc Nghị quyết 57. "
    "Bạn cần hỏi gì ạ?"
)
THANKS_REPLY = "Dạ, không có gì ạ. Khi cần, bạn cứ hỏi tiếp nhé!"
ABOUT_REPLY = (
    "Tôi là trợ lý hỏi đáp tự động về chuyển đổi số của tỉnh Lai Châu. Tôi trả lời dựa trên "
    "các văn bản chính thức và bộ câu hỏi thường gặp, kèm nguồn của từng câu trả lời, về: "
    "VNeID và định danh điện tử; dịch vụ công trực tuyến; thanh toán không dùng tiền mặt; "
    "phòng tránh lừa đảo trên mạng; Bình dân học vụ số; Tổ công nghệ số cộng đồng; "
    "Nghị quyết 57-NQ/TW và Kế hoạch tuyên truyền của tỉnh. Tôi không hỏi mật khẩu hay mã OTP "
    "của bạn. Khi tôi chưa trả lời được, bạn có thể nhờ cán bộ hỗ trợ."
)
HANDOVER_REPLY = (
    "Tôi đã ghi nhận yêu cầu gặp cán bộ hỗ trợ. Câu hỏi của bạn sẽ được chuyển tới Tổ công nghệ "
    "số cộng đồng để trả lời sớm. Bạn cũng có thể liên hệ trực tiếp Ủy ban nhân dân cấp xã "
    "nơi mình ở."
)
DECLINE_REPLY = (
    "Xin lỗi, tôi chưa tìm thấy câu trả lời chắc chắn cho câu hỏi này. Bạn có thể hỏi lại "
    "ngắn gọn hơn với từ khóa chính, ví dụ: \u201ccách kích hoạt VNeID mức 2\u201d, hoặc "
    "chọn \u201cGặp cán bộ hỗ trợ\u201d để chuyển câu hỏi tới Tổ công nghệ số cộng đồng."
)
EMPTY_REPLY = (
    "Bạn chưa nhập câu hỏi. Mời bạn gõ câu hỏi về chuyển đổi số, ví dụ: \u201cVNeID là gì?\u201d"
)
TOO_LONG_REPLY = (
    "Câu hỏi dài quá ({length} ký tự). Bạn vui lòng hỏi ngắn gọn hơn, "
    "dưới {limit} ký tự, mỗi lần một câu hỏi."
)

# Matched on the folded, normalised message as a whole: short social messages only.
_GREETING = re.compile(
    r"^(xin chao|chao|hello|hi|hey|alo+|chao ban|chao bot|chao ad|xin chao ban)"
    r"( (ban|bot|em|anh|chi|ad|tro ly|a|nhe|nha|moi nguoi|buoi sang|buoi chieu))*$"
)
_THANKS = re.compile(
    r"^((xin )?(cam on|cam ong|thank you|thanks|thank|tks|thanks you)"
    r"( (ban|bot|nhieu|nhe|nha|a|em|ad|rat nhieu|tro ly))*|ok (cam on|thanks)( ban| nhe)?)$"
)
_ABOUT = re.compile(
    r"^(ban|bot|em|tro ly)? ?(la ai|la gi|lam (duoc )?(gi|nhung gi)|giup (duoc )?(gi|toi nhung gi)|"
    r"co the (lam|giup|tra loi) (duoc )?(gi|nhung gi)|tra loi (duoc )?(gi|nhung gi)|"
    r"biet (lam )?(gi|nhung gi))( (vay|the|a|nhi))?$"
)
_HANDOVER = re.compile(
    r"(gap|noi chuyen voi|lien he|can|chuyen (cho|toi|den)|cho toi gap|xin gap) "
    r"(voi )?(can bo|nguoi that|nguoi ho tro|nhan vien|tong dai vien|to cong nghe so)"
)


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str
    section: str
    url: str | None


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    answer: str
    kind: Kind
    score: float
    sources: list[SourceRef]
    suggestions: list[str] = field(default_factory=list)
    intent: Intent = "question"

    def to_contract(self) -> dict:
        """The stable JSON shape of the CLI and the HTTP API."""
        data = asdict(self)
        return {
            key: data[key]
            for key in ("question", "answered", "answer", "kind", "score", "sources", "suggestions")
        }

    @property
    def citation(self) -> str | None:
        """The "Nguồn: …" line that closes an answer, if any."""
        for line in reversed(self.answer.splitlines()):
            if line.startswith("Nguồn: "):
                return line
        return None


def classify(question: str) -> Intent:
    """What kind of message this is, before any retrieval."""
    if not question.strip():
        return "empty"
    folded = fold(normalize(question))
    if not folded:
        return "empty"
    if _HANDOVER.search(folded):
        return "handover"
    if _GREETING.match(folded):
        return "greeting"
    if _THANKS.match(folded):
        return "thanks"
    if _ABOUT.match(folded):
        return "about"
    return "question"


_CANNED: dict[Intent, str] = {
    "greeting": GREETING_REPLY,
    "thanks": THANKS_REPLY,
    "about": ABOUT_REPLY,
    "handover": HANDOVER_REPLY,
    "empty": EMPTY_REPLY,
}


class Answerer:
    """Answers questions from one index; holds a small cache keyed on the normalised question."""

    def __init__(
        self, retriever: Retriever, threshold: float, top_k: int = 3, cache_size: int = 2048
    ) -> None:
        self.retriever = retriever
        self.threshold = threshold
        self.top_k = top_k
        self._cache: OrderedDict[tuple[str, int], Answer] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()

    def answer(self, question: str, top_k: int | None = None) -> Answer:
        return self.answer_many([question], top_k)[0]

    def answer_many(self, questions: Sequence[str], top_k: int | None = None) -> list[Answer]:
        """Answer several questions, embedding the uncached ones in one batch."""
        k = top_k or self.top_k
        results: list[Answer | None] = [None] * len(questions)
        pending: dict[str, list[int]] = {}
        for i, question in enumerate(questions):
            canned = self._canned(question)
            if canned is not None:
                results[i] = canned
                continue
            normalised = normalize(question)
            cached = self._cache_get((normalised, k))
            if cached is not None:
                results[i] = _with_question(cached, question)
            else:
                pending.setdefault(normalised, []).append(i)
        if pending:
            texts = list(pending)
            vectors = self.retriever.embed_questions(texts)
            for text, vector in zip(texts, vectors, strict=True):
                hits = self.retriever.search_vector(text, vector, k=max(k, 5))
                answer = self.compose(questions[pending[text][0]], text, hits, k)
                self._cache_put((text, k), answer)
                for i in pending[text]:
                    results[i] = _with_question(answer, questions[i])
        return [r for r in results if r is not None]

    def _canned(self, question: str) -> Answer | None:
        if len(question) > MAX_QUESTION_CHARS:
            text = TOO_LONG_REPLY.format(length=len(question), limit=MAX_QUESTION_CHARS)
            return Answer(question, False, text, "none", 0.0, [], intent="empty")
        intent = classify(question)
        if intent == "question":
            return None
        return Answer(question, intent != "empty", _CANNED[intent], "none", 1.0, [], intent=intent)

    def compose(self, question: str, normalised: str, hits: list[Hit], k: int) -> Answer:
        """The answer to a question from its ranked hits: FAQ, document excerpt or decline."""
        sources = _source_refs(hits, k)
        if not hits or hits[0].score < self.threshold:
            score = hits[0].score if hits else 0.0
            return Answer(question, False, DECLINE_REPLY, "none", score, sources)
        best = hits[0]
        if best.source.topic == DECLINE_TOPIC:
            return Answer(
                question, False, best.source.answer or DECLINE_REPLY, "none", best.score, sources
            )
        suggestions = self._suggestions(hits)
        if best.source.kind == "faq":
            text = f"{best.source.answer}\n\nNguồn: {best.source.citation}"
            return Answer(question, True, text, "faq", best.score, sources, suggestions)
        excerpt = self.excerpt(normalised, best.chunk.text)
        where = " › ".join(part for part in (best.source.title, best.chunk.section) if part)
        text = f"{excerpt}\n\nNguồn: {where}"
        return Answer(question, True, text, "document", best.score, sources, suggestions)

    def excerpt(self, normalised: str, text: str) -> str:
        """The sentences of a chunk that best answer the question, in document order."""
        sentences = split_sentences(text)
        if len(" ".join(sentences)) <= DOCUMENT_ANSWER_CHARS:
            return "\n".join(sentences)
        weights = self.retriever.token_weights(lexical_tokens(normalised))
        token_sets = [set(lexical_tokens(sentence)) for sentence in sentences]
        scores = np.array([sum(w for t, w in weights.items() if t in ts) for ts in token_sets])
        chosen: set[int] = set()
        length = 0
        for i in np.argsort(-scores, kind="stable"):
            if chosen and (scores[i] <= 0 or length + len(sentences[i]) > DOCUMENT_ANSWER_CHARS):
                break
            chosen.add(int(i))
            length += len(sentences[i])
        return "\n".join(sentences[i] for i in sorted(chosen))

    def _suggestions(self, hits: list[Hit]) -> list[str]:
        """Up to three related FAQ questions: of the same topic as the answer, or matching
        the question well enough to be answered themselves."""
        topic = hits[0].source.topic
        related = [
            h.source.questions[0]
            for h in hits[1:]
            if h.source.kind == "faq"
            and h.source.topic != DECLINE_TOPIC
            and (h.source.topic == topic or h.score >= self.threshold)
        ]
        return related[:3]

    def _cache_get(self, key: tuple[str, int]) -> Answer | None:
        with self._lock:
            answer = self._cache.get(key)
            if answer is not None:
                self._cache.move_to_end(key)
            return answer

    def _cache_put(self, key: tuple[str, int], answer: Answer) -> None:
        if self._cache_size <= 0:
            return
        with self._lock:
            self._cache[key] = answer
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)


def _source_refs(hits: list[Hit], k: int) -> list[SourceRef]:
    """Related sources, best first (an FAQ entry has no section; its answer cites its source)."""
    return [
        SourceRef(h.source.id, h.source.title, h.chunk.section, h.source.url)
        for h in hits
        if h.source.topic != DECLINE_TOPIC
    ][:k]


def _with_question(answer: Answer, question: str) -> Answer:
    return Answer(
        question,
        answer.answered,
        answer.answer,
        answer.kind,
        answer.score,
        answer.sources,
        answer.suggestions,
        answer.intent,
    )
