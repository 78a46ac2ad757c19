"""The answer core every channel shares: a question in, an Answer with its sources out.

Answers are retrieved, never generated: an FAQ answer as written by editors, or the
sentences of a document that best match the question, always with their source. Below the
calibrated confidence the bot says it does not know and offers a person instead.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import pairwise
from threading import Lock
from typing import Literal, cast

from .compose import DOCUMENT_ANSWER_CHARS, PART_ANSWER_CHARS, excerpt, focused, states_fact
from .knowledge import DECLINE_TOPIC, DECLINE_TOPICS, declines
from .questions import (
    FactKind,
    asking_clause,
    asks_besides,
    asks_which_website,
    asks_without_topic,
    contact_subject,
    content_words,
    fact_kind,
    looks_like_follow_up,
    split_parts,
    topic_anchor,
    topic_words,
    typed_in,
    without_opening,
)
from .safety import REPLIES as SAFETY_REPLIES
from .safety import (
    Concern,
    Reading,
    about_oneself,
    asks_if_punished,
    concern,
    excused,
    model_reading,
    seeks_personal_data,
)
from .search import Hit, Retriever
from .text import fold, normalize

Kind = Literal["faq", "document", "none"]
Intent = Literal[
    "question",  # answered from the knowledge base, or declined for want of a sure answer
    "out_of_scope",  # declined by one of the knowledge base's out-of-scope entries
    "harmful",  # refused: illegal or harmful
    "emergency",  # pointed to 115 or a health facility
    "privacy",  # refused: another person's data
    "greeting",
    "thanks",
    "about",
    "handover",
    "empty",
]

MAX_QUESTION_CHARS = 4000

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
NEAR_MISS_REPLY = (
    "Tôi chưa chắc đã hiểu đúng câu hỏi của bạn. Có phải bạn muốn hỏi:\n{questions}\n\n"
    "Bạn chọn một câu ở trên, hoặc chọn \u201cGặp cán bộ hỗ trợ\u201d để được giúp."
)
# The entry that fits best holds no figure or time limit at all: say what is missing rather
# than answer "bao nhiêu tiền" with a how-to.
MISSING_FACT_REPLY = (
    "Tôi chưa có thông tin chắc chắn về {what} mà bạn hỏi. Nội dung gần nhất tôi có:\n"
    "{questions}\n\n"
    "Bạn chọn câu ở trên để xem, hoặc chọn \u201cGặp cán bộ hỗ trợ\u201d để được giúp."
)
MISSING_FACT_NOTE = "Riêng {what} bạn hỏi thì tôi chưa có thông tin chắc chắn. Nội dung liên quan:"
HOLDER_FLOOR = 0.05  # how unsure a runner-up holding the asked figure may be
NAME_WORDS = 3  # up to this many words, whose hotline is asked names one body, as a phrase
MISSING_FACT_NAMES: dict[FactKind, str] = {
    "number": "con số",
    "money": "số tiền",
    "duration": "thời hạn",
}
# Refusals of a request (a health question is pointed to 115 instead).
REFUSAL_INTENTS = ("harmful", "privacy")
# Entries that do not fit a victim's message (left out before ranking: see _plan).
REFUSAL_TOPICS = tuple(t for t, i in DECLINE_TOPICS.items() if i in REFUSAL_INTENTS)
REFUSING_INTENTS = (*REFUSAL_INTENTS, "emergency")
ONE_PART_REPLY = "Câu hỏi của bạn có hai ý. Tôi trả lời được một ý:\n\n{title}\n{answer}"
# Set before the answered part's "Nguồn: …" line, which closes every answer: the chat
# channels set that line apart (Telegram cut off whatever followed it).
ONE_PART_NOTE = (
    "Ý còn lại tôi chưa có thông tin chắc chắn; bạn có thể hỏi Tổ công nghệ số cộng đồng "
    "hoặc cán bộ xã."
)
TWO_PARTS_INTRO = "Câu hỏi của bạn có hai ý, tôi trả lời từng ý:"
# A follow-up sure alone is still read with the previous message when that is this much surer.
CONTEXT_MARGIN = 0.15
# How sure each part of a two-part message must be: a part says less than a whole question,
# and the ranker, trained on whole ones, is less sure of it (tune and held-out sets agree).
PART_FLOOR = 0.25
# A refusal entry this sure speaks even after a conversation on a neighbouring subject.
REFUSAL_SURE = 0.6
# How sure a message that is no follow-up must be, read with the previous message's words.
CONTEXT_SURE = 0.75
# A follow-up read with the previous message, landing in the topic that answered it, is
# answered from this confidence (3 more right and 1 wrong on the tune sets at 0.30).
FOLLOW_UP_FLOOR = 0.30
# A message of this many topic words or fewer ("có mất tiền không") means nothing alone in a
# conversation: however sure its reading alone, it is read with the previous message.
BARE = 2
NEAR_MISS_SHARE = 0.6  # of the threshold: below it, no entry is close enough to offer
NEAR_MISS_SUGGESTIONS = 3
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
    r"^(xin chao|chao|hello|hi|hey|alo+|chao ban|chao bot|chao ad|xin chao ban|"
    r"(ban|bot|ad|admin|em|anh|chi) oi)"
    r"( (ban|bot|em|anh|chi|ad|tro ly|a|nhe|nha|moi nguoi|buoi sang|buoi chieu))*$"
)
_THANKS = re.compile(
    r"^((ok|oke|okie|okay|vang|da|u|uh|roi) ){0,2}(xin )?"
    r"(cam on|cam ong|camon|thank you|thanks|thank|tks|thanks you)"
    r"( (ban|bot|nhieu|nhiu|nhe|nha|a|ak|em|ad|anh|chi|rat nhieu|tro ly))*$"
)
_ABOUT_ONE = (
    r"(ban|bot|em|tro ly)? ?(la ai|la gi|lam (duoc )?(gi|nhung (viec )?gi)|"
    r"giup (duoc )?(toi )?(gi|nhung (viec )?gi)|"
    r"co the (lam|giup|tra loi) (duoc )?(gi|nhung (viec )?gi)|tra loi (duoc )?(gi|nhung gi)|"
    r"biet (lam )?(gi|nhung gi))( (vay|the|a|nhi))?"
)
# "Bạn là ai, bạn giúp được tôi những việc gì?" asks the same twice.
_ABOUT = re.compile(rf"^{_ABOUT_ONE}( (va |con )?{_ABOUT_ONE})?$")
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
class Turn:
    """The previous message of a conversation and the entries that answered it."""

    question: str
    source_ids: tuple[str, ...] = ()


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
    answered_from: tuple[SourceRef, ...] = ()  # the sources the answer quotes, in order
    read: str | None = None  # the clause it was read from, when not the whole message

    def to_contract(self) -> dict:
        """The stable JSON shape of the CLI and the HTTP API."""
        data = asdict(self)
        contract = {
            key: data[key]
            for key in ("question", "answered", "answer", "kind", "score", "sources", "suggestions")
        }
        contract["offer_handover"] = self.offer_handover
        return contract

    @property
    def offer_handover(self) -> bool:
        """Whether to offer a person: only when the bot could not find a sure answer (not for
        refusals, out-of-scope questions or small talk)."""
        return not self.answered and self.intent == "question"

    def turn(self) -> Turn:
        """What a conversation remembers of this answer, for the next message."""
        return Turn(self.read or self.question, tuple(s.id for s in self.answered_from))

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
    if not re.search(r"[^\W\d_]", folded):
        return "empty"  # no word at all: a pasted number, or punctuation
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


@dataclass
class _Plan:
    """The searches one message needs: itself, leaning on the previous message, and its parts."""

    question: str
    normalised: str
    context: Turn | None = None
    with_context: str | None = None  # the message with the previous message's topic words
    # The same for a message that does not look like a follow-up: searched only when, alone,
    # it finds nothing sure (see _unsure_within_previous_topic).
    in_context: str | None = None
    used_context: bool = False  # its answer depends on the previous message: not cached
    parts: list[str] = field(default_factory=list)  # normalised; the second with the first's topic
    clauses: tuple[str, ...] = ()  # the same two parts as typed
    second_alone: str | None = None  # the second part without the first's words, if it got them
    focus: str | None = None  # normalised: the one clause that asks, amid ones that only tell
    without: tuple[str, ...] = ()  # topics whose entries do not fit this message (refusals)
    reading: Reading | None = None  # the learned model's, where it is sure

    def texts(self) -> list[str]:
        """The searches every such message needs, embedded together. The focus is searched
        only when the whole message is unsure (most are sure: a focus is one more embedding,
        the larger part of a question's time)."""
        return [
            self.normalised,
            *([self.with_context] if self.with_context else []),
            *self.parts,
        ]


class _Searches(dict[str, list[Hit]]):
    """The hits of a message's searches, each run the first time it is read."""

    def __init__(self, search: Callable[[str], list[Hit]]) -> None:
        super().__init__()
        self._search = search
        self._keeps: Callable[[Hit], bool] = lambda _hit: True

    def __missing__(self, text: str) -> list[Hit]:
        found = self[text] = [h for h in self._search(text) if self._keeps(h)]
        return found

    def leave_out(self, unfit: Callable[[Hit], bool]) -> None:
        """Drop the hits that do not fit, of the searches run and of those to come."""
        self._keeps = lambda hit: not unfit(hit)
        for text, found in self.items():
            self[text] = [h for h in found if not unfit(h)]


class Answerer:
    """Answers questions from one index; holds a small cache keyed on the normalised question."""

    def __init__(
        self, retriever: Retriever, threshold: float, top_k: int = 3, cache_size: int = 2048
    ) -> None:
        self.retriever = retriever
        self.threshold = threshold
        # Below the threshold but above this, the closest entries are offered as "did you mean".
        self.near_miss = threshold * NEAR_MISS_SHARE
        self.top_k = top_k
        self._cache: OrderedDict[tuple[str, int], Answer] = OrderedDict()
        self._cache_size = cache_size
        self._lock = Lock()

    def answer(
        self, question: str, top_k: int | None = None, context: Turn | None = None
    ) -> Answer:
        return self.answer_many([question], top_k, [context])[0]

    def answer_many(
        self,
        questions: Sequence[str],
        top_k: int | None = None,
        contexts: Sequence[Turn | None] | None = None,
    ) -> list[Answer]:
        """Answer several questions (each with the conversation's previous turn, if any),
        embedding every search they need in one batch."""
        k = top_k or self.top_k
        contexts = contexts or [None] * len(questions)
        results: list[Answer | None] = [None] * len(questions)
        plans: dict[int, _Plan] = {}
        for i, (question, context) in enumerate(zip(questions, contexts, strict=True)):
            canned = self.canned(question)
            if canned is not None:
                results[i] = canned
                continue
            normalised = without_opening(normalize(question))
            cached = None if leans(question, context) else self._cache_get((normalised, k))
            if (
                cached is not None
                and context is not None
                and not self._stands_alone(cached.score, cached.intent in REFUSAL_INTENTS)
            ):
                cached = None  # read with the previous message, it may find more
            if cached is not None:
                results[i] = _with_question(cached, question)
            else:
                plans[i] = self._plan(question, normalised, context)
        if plans:
            texts = list(dict.fromkeys(t for plan in plans.values() for t in plan.texts()))
            vectors = dict(zip(texts, self.retriever.embed_questions(texts), strict=True))
            searched: dict[tuple[str, tuple[str, ...]], list[Hit]] = {}

            def search(text: str, plan: _Plan) -> list[Hit]:
                key = (text, plan.without)
                if key not in searched:
                    if text not in vectors:
                        vectors[text] = self.retriever.embed_questions([text])[0]
                    searched[key] = self.retriever.search_vector(
                        text, vectors[text], k=max(k, 5), without=plan.without
                    )
                return searched[key]

            def decide(plan: _Plan) -> Answer:
                hits = _Searches(lambda text: search(text, plan))
                alone = hits[plan.normalised]
                if plan.in_context and not (
                    alone and self._stands_alone(alone[0].score, _refuses(alone[0]))
                ):
                    # Embedded only now: most messages of a conversation are sure alone.
                    hits[plan.in_context] = search(plan.in_context, plan)
                return self._decide(plan, hits, k)

            for i, plan in plans.items():
                answer = decide(plan)
                if plan.reading == "harmful" and answer.intent not in REFUSING_INTENTS:
                    # No how-to of a neighbouring entry, nor "ask again", for these.
                    seeks = seeks_personal_data(plan.question)
                    answer = _refusal(plan.question, "privacy" if seeks else "harmful")
                elif (
                    plan.reading == "legitimate"
                    and answer.intent in REFUSAL_INTENTS
                    and not (answer.intent == "harmful" and asks_if_punished(plan.question))
                ):
                    # A refusal entry's words, not its wrong: "làm sao biết tin nhắn báo
                    # trúng thưởng là lừa đảo" is a question to answer. "Is it punished?" is
                    # left to the harmful entry that matches it: it says the act is unlawful,
                    # and no other entry may speak of that act; rules on others' data
                    # ("quy định bảo vệ dữ liệu cá nhân") are not a privacy refusal's.
                    plan.without = REFUSAL_TOPICS
                    answer = decide(plan)
                if not leans(plan.question, plan.context) and not plan.used_context:
                    self._cache_put((plan.normalised, k), answer)
                results[i] = answer
        return [r for r in results if r is not None]

    def _plan(self, question: str, normalised: str, context: Turn | None) -> _Plan:
        plan = _Plan(question, normalised, context)
        if excused(question):
            # A victim's "tôi lỡ đọc mã OTP cho người ta" is helped, not refused.
            plan.without = REFUSAL_TOPICS
        plan.reading = model_reading(question)
        if context is not None:
            # A message that stands on its own is read on its own: "chatbot này có trả lời
            # bằng tiếng Mông được không" after a question on bank transfers is about the bot.
            # Only one unsure alone is read with the previous message too (in_context).
            anchor = topic_anchor(context.question, question)
            if anchor and _leans_back(question):
                plan.with_context = f"{normalised} {anchor}"
            elif anchor and context.source_ids:
                plan.in_context = f"{normalised} {anchor}"
        clause = asking_clause(question)
        if clause is not None:
            plan.focus = normalize(clause)
        parts = split_parts(question)
        if context is not None and all(len(topic_words(p)) <= BARE for p in parts):
            # "Vậy tôi báo cho ai, gọi số điện thoại nào?" after a fake police call: clauses
            # that name nothing of their own ask one thing of the topic just talked about.
            parts = []
        if len(parts) >= 2:
            first, rest = parts[0], " ".join(parts[1:])
            plan.clauses = (first, rest)
            plan.parts = [without_opening(normalize(first)), normalize(rest)]
            if looks_like_follow_up(rest):
                plan.second_alone = plan.parts[1]
                plan.parts[1] = f"{plan.parts[1]} {topic_anchor(first, rest)}".strip()
            if context is not None:
                # "Ai được tham gia, có được trả tiền không?" after a question on the teams.
                for i, part in enumerate((first, rest)):
                    if looks_like_follow_up(part):
                        anchor = topic_anchor(context.question, part)
                        plan.parts[i] = f"{plan.parts[i]} {anchor}".strip()
        return plan

    def _decide(self, plan: _Plan, hits: _Searches, k: int) -> Answer:
        """Choose between the message alone and the message read with the previous one, and
        answer both parts of a two-part message when different entries answer them."""
        if not plan.without and about_oneself(plan.question):
            # "số dư tài khoản của tôi xem thế nào" asks about one's own data. Only the privacy
            # refusals step aside, once ranked: a harmful one still stands ("dán mã QR của mình
            # đè lên mã của sạp bên cạnh").
            hits.leave_out(_guards_privacy)
        main = hits[plan.normalised]
        text = plan.normalised
        within = self._unsure_within_previous_topic(plan, main, hits)
        if within is not None:
            # "số mới đứng tên vợ tôi thì có được không" after a question on changing VNeID's
            # phone number: alone it finds nothing sure (or only a refusal), with the previous
            # message's words the entry just read about, far surer.
            plan.used_context = True
            return self.compose(plan.question, str(plan.in_context), within, k, True)
        leaning = hits[plan.with_context] if plan.with_context else []
        if leaning and plan.context is not None and plan.context.source_ids:
            # "vậy nộp xong bao lâu thì có thẻ mới" after a question on a card broken while
            # working in Japan, answered in scope: the previous message's "xuất khẩu lao
            # động" does not make the follow-up a question on working abroad.
            leaning = [h for h in leaning if not declines(h.source.topic)]
        # A follow-up-looking message whose best reading alone is an out-of-scope entry
        # ("làm ở đâu" reads like a question on working abroad) is not sure of itself.
        bare = bool(plan.with_context) and len(topic_words(plan.question)) <= BARE
        if bare and main and main[0].score >= self.threshold and plan.context is not None:
            # "nếu không có smartphone thì sao" after a question on VNeID level 2: its one
            # word finds, alone, another entry of the topic just talked about.
            before = {h.source.topic for h in leaning if h.source.id in plan.context.source_ids}
            bare = main[0].source.topic not in before
        sure_alone = (
            bool(main)
            and main[0].score >= self.threshold
            and not (declines(main[0].source.topic) and looks_like_follow_up(plan.question))
            and not bare
        )
        out_of_scope = bool(main) and main[0].source.topic == DECLINE_TOPIC
        refused = bool(main) and declines(main[0].source.topic) and not out_of_scope
        if plan.focus and (not sure_alone or out_of_scope) and not refused:
            # "… nghị quyết 57 là gì, thấy trên xã treo băng rôn hoài": the asking clause alone,
            # also when the whole leans to an out-of-scope entry ("em đi xuất khẩu lao động ở
            # Hàn mới về, muốn đổi số điện thoại trên VNeID"); not when it leans to a refusal,
            # whose reason may lie in the other clauses, nor to refuse: "… ông muốn ủy quyền
            # cho con trai nhận lương hưu, giấy ủy quyền làm ở đâu" is no forgery, though its
            # last clause alone reads like one.
            focused_hits = hits[plan.focus]
            if (
                focused_hits
                and not (plan.with_context and len(topic_words(plan.focus)) <= BARE)
                and not _refuses(focused_hits[0])
                and (not main or focused_hits[0].score > main[0].score)
            ):
                main, text = focused_hits, plan.focus
                sure_alone = main[0].score >= self.threshold
        if (
            sure_alone
            and leaning
            and not declines(leaning[0].source.topic)
            and leaning[0].score >= main[0].score + CONTEXT_MARGIN
        ):
            # "Bác ấy chuyển 20 triệu rồi, giờ làm gì?" after a question on a scam reads, alone,
            # as one on transfer limits (0.71); with the scam it is far surer (0.88).
            main, text = leaning, str(plan.with_context)
        elif (
            plan.with_context
            and not sure_alone
            and leaning
            and (
                (bare and bool(plan.context and plan.context.source_ids))
                or not main
                or leaning[0].score > main[0].score
                or declines(main[0].source.topic)
            )
        ):
            # Otherwise only a message that cannot stand alone is read with the previous one;
            # a bare one ("có mất tiền không") always, after an answer: not "is the bot free?".
            main, text = leaning, plan.with_context
        again = self._previous_entry_again(plan, ((leaning, plan.with_context), (main, text)))
        if again is not None:
            # "Phải ra đâu trình báo, mang theo những gì?" after a question on a scam finds,
            # unsure, the very entry that answered it: offering it as "did you mean" would
            # send back what was just read.
            found, read = again
            with_previous = read == plan.with_context
            return self.compose(plan.question, read, found, k, with_previous, found[0].score)
        if plan.parts:
            first, second = hits[plan.parts[0]], hits[plan.parts[1]]
            if plan.second_alone:
                # "… app ngân hàng giả, còn nếu lỡ cài rồi thì xử lý sao": the first part's
                # words drown the second's own subject; alone it may be sure. Sure with them
                # too, it is still read alone when it names a subject of its own, is far surer
                # so, and the first part's words only lead back to the first part's entry or
                # away from the second's own topic ("xem ở mục nào" names nothing: not alone).
                alone = hits[plan.second_alone]
                if self._reads_alone(first, second, alone, plan.second_alone):
                    second = alone
            if not self._answers_apart(first, second) or (
                first[0].source.topic != second[0].source.topic
            ):
                second = self._second_in_first_topic(first, second, plan.parts[1], k, plan.without)
            unnamed = _number_of_another(plan.clauses, (first, second))
            if unnamed is None and self._answers_apart(first, second):
                return self._two_parts(plan.question, plan.parts, first, second, main, k)
            sure = [
                (p, h)
                for i, (p, h) in enumerate(zip(plan.parts, (first, second), strict=True))
                if i != unnamed and self._sure(h) and h[0].score >= (1 + self.threshold) / 2
            ]
            if len(sure) == 1 and (unnamed is not None or not self._sure(main)):
                # "tổ công nghệ số có được phụ cấp không, muốn tham gia thì đăng ký ở đâu":
                # the part the knowledge base answers is answered, the other said unknown. The
                # whole being unsure, the part must be surer: halfway from the threshold to 1.
                return self._one_part(plan.question, *sure[0], main, k)
        with_previous = text == plan.with_context
        floor = FOLLOW_UP_FLOOR if with_previous and self._in_previous_topic(plan, main) else None
        answer = self.compose(plan.question, text, main, k, with_previous, floor)
        if text == plan.focus and answer.answered:
            # What the conversation was about: "tôi phải mở tài khoản ở đâu", not the story
            # of forest-protection money paid into accounts told around it.
            answer = replace(answer, read=plan.focus)
        return answer

    def _in_previous_topic(self, plan: _Plan, hits: list[Hit]) -> bool:
        """Whether a follow-up read with the previous message lands, not far under the
        threshold, in the topic of the entry that answered it: the topic confirms the
        reading ("giờ quên luôn mật khẩu thì làm gì" after VNeID would not log in)."""
        if not hits or plan.context is None or hits[0].score < FOLLOW_UP_FLOOR:
            return False
        topic = hits[0].source.topic
        return topic in self._topics_of(plan.context) and not declines(topic)

    def _topics_of(self, turn: Turn) -> set[str | None]:
        """The topics of the entries that answered a conversation's previous turn."""
        sources = self.retriever.index.sources
        return {sources[s].topic for s in turn.source_ids if s in sources}

    def _stands_alone(self, score: float, refuses: bool) -> bool:
        """Whether what a message finds alone stands whatever came before: sure, and no
        refusal of low confidence (see _unsure_within_previous_topic)."""
        return score >= self.threshold and not (refuses and score < REFUSAL_SURE)

    def _unsure_within_previous_topic(
        self, plan: _Plan, main: list[Hit], hits: dict[str, list[Hit]]
    ) -> list[Hit] | None:
        """The hits of a message read with the previous one's words, for a message that does
        not look like a follow-up but finds, alone, nothing sure or only a refusal entry of
        low confidence; when that reading is sure, far surer, and lands in the topic of the
        entry that answered the previous message. None otherwise."""
        if plan.in_context not in hits or plan.context is None or plan.parts:
            return None
        alone = main[0].score if main else 0.0
        found = hits[str(plan.in_context)]
        if not self._sure(found) or found[0].score < alone + CONTEXT_MARGIN:
            return None
        if found[0].source.topic not in self._topics_of(plan.context):
            return None
        # Either reading confirms the other's guess, or the previous message's words make it
        # very sure: half the other answers this way were wrong on the tune sets.
        agree = bool(main) and main[0].source.id == found[0].source.id
        # Alone it finds only a decline entry (out of scope, or a refusal too unsure to stand
        # alone): no reading of its own to weigh against the previous message's.
        nothing_alone = not main or declines(main[0].source.topic)
        return found if agree or nothing_alone or found[0].score >= CONTEXT_SURE else None

    def _previous_entry_again(
        self, plan: _Plan, readings: tuple[tuple[list[Hit], str | None], ...]
    ) -> tuple[list[Hit], str] | None:
        """The first unsure reading of a follow-up whose best entry answered the previous
        message, when it is close enough to be offered; None otherwise."""
        if plan.parts or not plan.with_context or plan.context is None:
            return None
        if any(self._sure(found) for found, _ in readings):
            return None
        for found, read in readings:
            if (
                found
                and read
                and found[0].source.id in plan.context.source_ids
                and found[0].score >= self.near_miss
                and not declines(found[0].source.topic)
            ):
                return found, read
        return None

    def _sure(self, hits: list[Hit], floor: float | None = None) -> bool:
        """Whether the best hit answers: above the threshold (or `floor`), and no out-of-scope
        entry."""
        bar = self.threshold if floor is None else floor
        return bool(hits) and hits[0].score >= bar and not declines(hits[0].source.topic)

    def _second_in_first_topic(
        self, first: list[Hit], second: list[Hit], part: str, k: int, without: tuple[str, ...]
    ) -> list[Hit]:
        """The second part read within the first part's topic, when it is unsure alone:
        "… quên mật khẩu VNeID thế nào, với lại đổi số điện thoại thì làm sao" asks about
        VNeID twice; or when, sure alone, it lands in another topic and reads surer within the
        first's ("… mức 2 dùng để làm gì, quên mật khẩu thì lấy lại sao" is VNeID's password,
        not a bank app's). The topic's name, not the first part's words, which would only
        lead back to the first part's entry."""
        if (
            not first
            or first[0].score < self.threshold
            or declines(first[0].source.topic)
            or not first[0].source.topic
        ):
            return second
        sure = bool(second) and second[0].score >= self.threshold
        if sure and second[0].source.topic == first[0].source.topic:
            return second
        topic = str(first[0].source.topic).replace("-", " ")
        within = self.retriever.search(f"{part} {topic}", k=max(k, 5), without=without)
        if not within or within[0].source.id == first[0].source.id:
            return second
        if not sure:
            return within
        if (
            within[0].source.topic == first[0].source.topic
            and within[0].score > second[0].score
            and within[0].score >= self.threshold
        ):
            return within
        return second

    def _reads_alone(
        self, first: list[Hit], second: list[Hit], alone: list[Hit], part_alone: str
    ) -> bool:
        """Whether a second part is read alone rather than with the first part's words."""
        if not self._sure(alone):
            return False
        if not self._sure(second):
            return True
        return (
            len(topic_words(part_alone)) > BARE
            and alone[0].score >= second[0].score + CONTEXT_MARGIN
            and bool(first)
            and (
                second[0].source.id == first[0].source.id
                or alone[0].source.topic != first[0].source.topic
            )
        )

    def _answers_apart(self, first: list[Hit], second: list[Hit]) -> bool:
        floor = min(self.threshold, PART_FLOOR)
        return (
            self._sure(first, floor)
            and self._sure(second, floor)
            and first[0].source.id != second[0].source.id
        )

    def canned(self, question: str) -> Answer | None:
        """The reply to a message that needs no search (small talk, a request for a person,
        a refusal, an empty or overlong message); None for a question to search."""
        if len(question) > MAX_QUESTION_CHARS:
            text = TOO_LONG_REPLY.format(length=len(question), limit=MAX_QUESTION_CHARS)
            return Answer(question, False, text, "none", 0.0, [], intent="empty")
        intent = classify(question)
        if intent == "question":
            worry = concern(question)
            if worry is None:
                return None
            # Refused before searching: a neighbouring how-to entry must never answer these.
            return _refusal(question, worry)
        return Answer(question, intent != "empty", _CANNED[intent], "none", 1.0, [], intent=intent)

    def compose(
        self,
        question: str,
        normalised: str,
        hits: list[Hit],
        k: int,
        with_previous: bool = False,
        floor: float | None = None,
    ) -> Answer:
        """The answer to a question from its ranked hits: FAQ, document excerpt or decline.
        `with_previous`: the hits come from the message read with the previous one; `floor`:
        the score that answers, when not the threshold."""
        sources = _source_refs(hits, k)
        best = hits[0] if hits else None
        if best is None or best.score < (self.threshold if floor is None else floor):
            return self._decline(question, hits, sources)
        if declines(best.source.topic):
            intent = cast(Intent, DECLINE_TOPICS[str(best.source.topic)])
            if intent == "harmful" and asks_if_punished(question):
                # "làm giả giấy tờ bị phạt thế nào" is answered by the refusal entry's account
                # of the law, without its "I cannot help with this".
                return Answer(
                    question,
                    True,
                    _as_account_of_the_law(best.source.answer or ""),
                    "faq",
                    best.score,
                    sources,
                    answered_from=(_source_ref(best),),
                )
            text = best.source.answer or DECLINE_REPLY
            return Answer(question, False, text, "none", best.score, sources, intent=intent)
        kind = fact_kind(question)
        if not _names_whose(best, question):
            # "số tổng đài bảo hiểm xã hội" is not answered with the VNeID hotline; a runner-up
            # that names whose number is asked, and gives one, is ("tổng đài VssID số mấy").
            holder = _holder(
                hits,
                question,
                "contact",
                lambda h: h.score >= HOLDER_FLOOR and _names_whose(h, question),
            )
            if holder is None:
                return self._missing_fact(question, hits, sources, "số điện thoại")
            best = holder
        unknown = ""
        missing = _missing_name(question, kind)
        if kind is not None and missing and not _gives_fact(best, question, kind):
            # Another entry may hold the figure: a sure one, or, for a bare follow-up such as
            # "có mất phí không" after a question on birth registration, the runner-up of the
            # same topic that is asked for such a figure (the entry on its fees, not its steps).
            first, asked = best, kind  # not None: a closure would forget that

            def fits(h: Hit) -> bool:
                # On the same subject: the marriage entry's time limit is no answer to how
                # long a certificate of marital status takes, however close it ranks.
                return _on_subject(h, first) and (
                    h.score >= self.threshold or (with_previous and _asks_it(h, first, asked))
                )

            holder = _holder(hits, question, asked, fits)
            if holder is None and not _asks_more_than_figures(question, kind):
                return self._missing_fact(question, hits, sources, missing)
            if holder is None:
                # "Đưa lên sàn nào thì tốt, có mất phí không?": the entry answers the other
                # ask; the figure is said to be unknown rather than the whole declined.
                unknown = MISSING_FACT_NOTE.format(what=missing) + "\n\n"
                kind = None
            else:
                best = holder
        text = unknown + self._quote(best, question, normalised, kind)
        return Answer(
            question,
            True,
            text,
            _answer_kind(best),
            best.score,
            sources,
            self._suggestions(hits),
            answered_from=(_source_ref(best),),
        )

    def _quote(
        self,
        hit: Hit,
        question: str,
        normalised: str,
        kind: FactKind | None,
        limit: int = 0,
        note: str = "",
    ) -> str:
        """A hit's text with its "Nguồn: …" line (and `note` between them): an FAQ answer (the
        asked fact first) or the sentences of a document that answer the question."""
        weigh = self.retriever.token_weights
        if hit.source.kind == "faq":
            body = focused(hit.source.answer or "", question, weigh, kind)
            if limit:
                body = excerpt(body, normalised, weigh, kind, limit)
            where = hit.source.citation
        else:
            body = excerpt(hit.chunk.text, normalised, weigh, kind, limit or DOCUMENT_ANSWER_CHARS)
            where = " › ".join(part for part in (hit.source.title, hit.chunk.section) if part)
        source = f"Nguồn: {where}"
        return f"{body}\n\n{note}\n\n{source}" if note else f"{body}\n\n{source}"

    def _two_parts(
        self,
        question: str,
        parts: list[str],
        first: list[Hit],
        second: list[Hit],
        whole: list[Hit],
        k: int,
    ) -> Answer:
        """Each part answered from its own entry, each with its source."""
        texts = []
        for number, (part, hits) in enumerate(zip(parts, (first, second), strict=True), 1):
            quoted = self._quote(hits[0], part, part, fact_kind(part), PART_ANSWER_CHARS)
            texts.append(f"{number}) {hits[0].source.title}\n{quoted}")
        used = (_source_ref(first[0]), _source_ref(second[0]))
        others = [h for h in whole if h.source.id not in {first[0].source.id, second[0].source.id}]
        sources = (list(used) + _source_refs(others, k))[: max(k, 2)]
        return Answer(
            question,
            True,
            TWO_PARTS_INTRO + "\n\n" + "\n\n".join(texts),
            _answer_kind(first[0], second[0]),
            min(first[0].score, second[0].score),
            sources,
            self._suggestions(others and [first[0], *others] or [first[0]]),
            answered_from=used,
        )

    def _one_part(
        self, question: str, part: str, hits: list[Hit], whole: list[Hit], k: int
    ) -> Answer:
        """One part of a two-part message answered from its entry; the other said unknown."""
        best = hits[0]
        quoted = self._quote(best, part, part, fact_kind(part), PART_ANSWER_CHARS, ONE_PART_NOTE)
        others = [h for h in whole if h.source.id != best.source.id]
        return Answer(
            question,
            True,
            ONE_PART_REPLY.format(title=best.source.title, answer=quoted),
            _answer_kind(best),
            best.score,
            ([_source_ref(best)] + _source_refs(others, k))[:k],
            self._suggestions([best, *others]),
            answered_from=(_source_ref(best),),
        )

    def _decline(self, question: str, hits: list[Hit], sources: list[SourceRef]) -> Answer:
        """No sure answer: the closest entries as "did you mean", or a plain decline."""
        score = hits[0].score if hits else 0.0
        close = self._close_questions(hits)
        if close:
            listed = "\n".join(f"- {q}" for q in close)
            text = NEAR_MISS_REPLY.format(questions=listed)
            return Answer(question, False, text, "none", score, sources, close)
        return Answer(question, False, DECLINE_REPLY, "none", score, sources)

    def _missing_fact(
        self, question: str, hits: list[Hit], sources: list[SourceRef], what: str
    ) -> Answer:
        """The closest entries offered, saying the asked figure or time limit is not known."""
        close = self._close_questions(hits)
        listed = "\n".join(f"- {q}" for q in close)
        text = MISSING_FACT_REPLY.format(what=what, questions=listed)
        return Answer(question, False, text, "none", hits[0].score, sources, close)

    def _close_questions(self, hits: list[Hit]) -> list[str]:
        """The questions of the FAQ entries close enough to offer as "did you mean"."""
        return [
            h.source.questions[0]
            for h in hits
            if h.source.kind == "faq" and not declines(h.source.topic) and h.score >= self.near_miss
        ][:NEAR_MISS_SUGGESTIONS]

    def excerpt(self, normalised: str, text: str) -> str:
        """The sentences of a passage that best answer the question, in document order."""
        return excerpt(text, normalised, self.retriever.token_weights)

    def _suggestions(self, hits: list[Hit]) -> list[str]:
        """Up to three related FAQ questions: of the same topic as the answer, or matching
        the question well enough to be answered themselves."""
        topic = hits[0].source.topic
        related = [
            h.source.questions[0]
            for h in hits[1:]
            if h.source.kind == "faq"
            and not declines(h.source.topic)
            and (h.source.topic == topic or h.score >= self.threshold)
        ]
        return related[:3]

    def cached(self, question: str, context: Turn | None = None) -> Answer | None:
        """The answer to this question asked before, if the cache still holds it and the
        question does not lean on the conversation's previous turn: no search needed, so no
        need to wait for the model."""
        if leans(question, context):
            return None
        hit = self._cache_get((normalize(question), self.top_k))
        return _with_question(hit, question) if hit is not None else None

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


def leans(question: str, context: Turn | None) -> bool:
    """Whether a message is read with the conversation's previous turn: there is one, and
    the message (or one of its parts) looks like a follow-up. Otherwise its answer is the
    same in any conversation, and may be cached."""
    if context is None:
        return False
    return _leans_back(question) or any(
        looks_like_follow_up(part) for part in split_parts(question)
    )


def _leans_back(question: str) -> bool:
    """Whether a whole message is read after the previous one: it looks like a follow-up, or
    is little more than the words that ask ("mất mấy ngày, có cần ra công an không")."""
    return looks_like_follow_up(question) or asks_without_topic(question)


def _refuses(hit: Hit) -> bool:
    """Whether a hit is a refusal entry (harmful or privacy)."""
    return hit.source.topic in REFUSAL_TOPICS


def _guards_privacy(hit: Hit) -> bool:
    return DECLINE_TOPICS.get(str(hit.source.topic)) == "privacy"


def _gives_fact(hit: Hit, question: str, kind: FactKind) -> bool:
    """Whether a hit can answer a figure question: a document passage, an entry that states
    a figure of that kind, or one whose own title asks it ("Học Bình dân học vụ số có phải
    đóng tiền không?"; other phrasings may ask what the entry only half answers)."""
    if hit.source.kind != "faq":
        return True
    if states_fact(hit.source.answer or "", question, kind):
        return True
    return bool(hit.source.questions) and fact_kind(hit.source.questions[0]) == kind


def _holder(
    hits: list[Hit], question: str, kind: FactKind, fits: Callable[[Hit], bool]
) -> Hit | None:
    """The first runner-up that fits, is no out-of-scope entry, and gives the asked kind of
    fact: the entry that answers when the best one lacks it."""
    return next(
        (
            h
            for h in hits[1:]
            if fits(h) and not declines(h.source.topic) and _gives_fact(h, question, kind)
        ),
        None,
    )


def _names_whose(hit: Hit, question: str) -> bool:
    """Whether an entry names whose phone number the question asks (true for a question that
    asks for none): at least half of its words, and a name of two or three words as a phrase
    ("điện lực" is not named by "số điện thoại" and "lúc"). A word typed with its marks must
    be found with them: "bảo hiểm" is not "báo"."""
    whose = contact_subject(question)
    if not whose:
        return True
    source = hit.source
    words = normalize(" ".join([source.title, *source.questions, source.answer or ""])).split()
    marked, folded = set(words), {fold(w) for w in words}
    if 2 * sum(typed_in(w, marked, folded) for w in whose) < len(whose):
        return False
    if not 2 <= len(whose) <= NAME_WORDS:
        return True
    pairs = set(pairwise(words))
    named = sum(
        any(typed_in(a, {x}, {fold(x)}) and typed_in(b, {y}, {fold(y)}) for x, y in pairs)
        for a, b in pairwise(whose)
    )
    return 2 * named >= len(whose) - 1


def _on_subject(hit: Hit, best: Hit) -> bool:
    """Whether a runner-up's title names at least half of what the best entry's does."""
    subject = set(content_words(best.source.title))
    return 2 * len(subject & set(content_words(hit.source.title))) >= len(subject)


def _asks_it(hit: Hit, best: Hit, kind: FactKind) -> bool:
    """Whether a runner-up in the best entry's topic is asked for that kind of figure by one
    of its own phrasings, and not far down."""
    return (
        hit.score >= HOLDER_FLOOR
        and hit.source.topic == best.source.topic
        and any(fact_kind(q) == kind for q in hit.source.questions)
    )


def _missing_name(question: str, kind: FactKind | None) -> str | None:
    """What to call the asked fact when no entry states it (None: a kind never said missing):
    a figure, an amount, a time limit, or a website's address ("trang web nào")."""
    if kind == "where" and asks_which_website(question):
        return "địa chỉ trang web"
    return MISSING_FACT_NAMES.get(kind) if kind is not None else None


def _asks_more_than_figures(question: str, kind: FactKind) -> bool:
    """Whether one of a message's parts, or its one run-on clause, asks something other than a
    figure or time limit."""
    parts = split_parts(question)
    if len(parts) >= 2:
        return any(fact_kind(part) not in MISSING_FACT_NAMES for part in parts)
    return asks_besides(question, kind)


def _number_of_another(clauses: Sequence[str], found: tuple[list[Hit], list[Hit]]) -> int | None:
    """The part of a two-part message (its `clauses` as typed) that asks for a phone number
    its best entry does not give ("…, còn tổng đài điện lực số mấy" finds the VNeID hotline);
    None if none."""
    for i, (clause, hits) in enumerate(zip(clauses, found, strict=True)):
        if hits and not _names_whose(hits[0], clause):
            return i
    return None


def _answer_kind(*quoted: Hit) -> Kind:
    """ "faq" when every quoted hit is an FAQ entry, else "document"."""
    return "faq" if all(h.source.kind == "faq" for h in quoted) else "document"


def _source_ref(hit: Hit) -> SourceRef:
    return SourceRef(hit.source.id, hit.source.title, hit.chunk.section, hit.source.url)


_REFUSAL_OPENING = re.compile(r"^Tôi không thể hỗ trợ yêu cầu này(?: vì |\. )")
PUNISHMENT_NOTE = (
    "Mức xử phạt cụ thể tùy hành vi và mức độ vi phạm, do cơ quan có thẩm quyền quyết định "
    "theo quy định của pháp luật."
)


def _as_account_of_the_law(refusal: str) -> str:
    """A refusal entry's answer told to someone asking whether the act is punished."""
    text = _REFUSAL_OPENING.sub("", refusal, count=1)
    first, rest = text.split("\n\n", 1) if "\n\n" in text else (text, "")
    first = f"{first[:1].upper()}{first[1:]} {PUNISHMENT_NOTE}"
    return f"{first}\n\n{rest}".strip()


def _refusal(question: str, worry: Concern) -> Answer:
    return Answer(question, False, SAFETY_REPLIES[worry], "none", 1.0, [], intent=worry)


def _source_refs(hits: list[Hit], k: int) -> list[SourceRef]:
    """Related sources, best first (an FAQ entry has no section; its answer cites its source)."""
    return [_source_ref(h) for h in hits if not declines(h.source.topic)][:k]


def _with_question(answer: Answer, question: str) -> Answer:
    return replace(answer, question=question)
