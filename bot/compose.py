"""Laying out an answer from retrieved text, without writing any of it.

A fact question ("bao nhiêu", "khi nào", "cơ quan nào", "có … không") gets the sentence or
list item that holds the fact first, with the line that introduces its list, and the entry
after it; a document passage is cut to the sentences that match the question best. Every
sentence shown is the knowledge base's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from .chunking import split_sentences
from .questions import FactKind, fact_kind, split_parts, topic_words, without_asking
from .text import fold, lexical_tokens, normalize

Weigh = Callable[[Sequence[str]], dict[str, float]]

DOCUMENT_ANSWER_CHARS = 700
PART_ANSWER_CHARS = 650  # each answer of a two-part message
# An entry's line that names a place by its label: "Nơi làm: …", "Nơi nộp: …".
_ITEM = r"^(?:[-*•+]\s+)?"  # a label may open a list item: "- Nơi giải quyết: …"
_PLACE_LABEL = _ITEM + r"Nơi [^:]{1,25}:"
# A place named outright: a website, a "Nơi làm:" label, "đến" a place (not "đến khi", "đến
# ngày", "đến năm 2030", "đến tuổi đổi thẻ"); a bare "ở", "tại" is in too many sentences.
_PLACE_NAMED = re.compile(
    r"https?://|\b[\w-]+(\.[\w-]+)*\.(vn|com|org|net)\b"
    rf"|{_PLACE_LABEL}"
    r"|\bđến\b(?! (khi|ngày|năm|nay|hết|lúc|tháng|trước|sau|tuổi|\d))",
    re.I,
)
# What a sentence holding each kind of fact looks like.
_FACT_SHAPES: dict[FactKind, re.Pattern[str]] = {
    "number": re.compile(r"\d"),
    # An amount, "free", or where the amount is shown ("hệ thống hiện số tiền phải nộp").
    "money": re.compile(
        r"\d[\d.,]*\s*(đồng|nghìn|ngàn|triệu|tỷ|VNĐ|đ)\b|miễn (lệ )?phí|"
        r"không (mất|thu|tính|phải trả|phải nộp) (phí|tiền|lệ phí)|"
        r"(số tiền|lệ phí|mức phí)[^.]{0,40}\b(hiện|ghi|xem|tra cứu)\b|hiện số tiền|"
        # A fee that depends on the bank; not "tên mục có thể khác tùy ngân hàng".
        r"(phí|giá|mất tiền|thu tiền|trả tiền)[^.]{0,60}"
        r"tùy (từng |theo )?(ngân hàng|nhà mạng|đơn vị|nơi|gói)",
        re.I,
    ),
    "duration": re.compile(
        r"thời hạn[^.]{0,60}\d+ (ngày|giờ|tháng)|\d+ ngày làm việc|ngay trong ngày|trong ngày"
        r"|(không quá|tối đa|trong vòng|mất|khoảng) \d+ (ngày|giờ|tháng)"
        r"|trả kết quả[^.]{0,40}\d+ (ngày|giờ)",
        re.I,
    ),
    "time": re.compile(
        r"\b\d{1,2}/\d{1,2}(/\d{4})?\b(?!/[A-ZĐ])|\b(ngày|tháng|năm|quý) \d"
        r"|\d+ (ngày|tháng|năm|giờ)|\b(hằng|mỗi) (ngày|tháng|năm|quý)|trong ngày",
        re.I,
    ),
    "who": re.compile(
        # "Báo"/"Đài" only before a name (Báo Lai Châu): "Báo cáo", "Báo càng sớm" are no agency.
        r"\b(Sở|Bộ|Ban|Ủy ban|UBND|Cục|[Cc]ông an|Tổng Bí thư|Thủ tướng|Chính phủ|Bộ Chính trị|"
        r"Trung tâm|Hội|Đoàn|Mặt trận|Báo(?= [A-ZĐ])|Đài(?= [A-ZĐ])|Tổ|Quốc hội|Tòa án|"
        r"Viện kiểm sát|Bưu điện|Bảo hiểm xã hội(?= [A-ZĐ])|BHXH|Tập đoàn|"
        r"Tổng công ty|Công ty|Điện lực|Hợp tác xã|Viettel|VNPT|EVN)\b"
        # "liên hệ cơ quan bảo hiểm xã hội nơi bạn đang nhận": a body named in lower case.
        r"|\b[Cc]ơ quan (bảo hiểm|thuế|công an|quản lý|đăng ký|hộ tịch)\b"
    ),
    "where": re.compile(rf"{_PLACE_NAMED.pattern}|\b(tại|ở)\b", re.I),
    "contact": re.compile(r"\b\d{3,4}([ .]?\d{2,4})*\b"),
    "yes_no": re.compile(r"^(Có|Không|Được|Chưa|Nên|Phải|Cần)\b"),  # for passages only
}
# Kinds whose shape alone shows the fact (a figure, a time limit, a phone number); "tại",
# "ở", "Sở", "Tổ" are in too many sentences that answer something else.
_PLAIN_SHAPES: tuple[FactKind, ...] = ("number", "money", "duration", "time", "contact")
# "Trong 15 ngày kể từ …" is a deadline: the answer to "phải làm trong vòng bao nhiêu ngày",
# not to "mất bao lâu" (how long the office takes).
_DEADLINE = re.compile(r"\btrong \d+ (ngày|tháng)", re.I)
# "giảm bao nhiêu phần trăm" asks for a share: any other number is no answer.
_ASKS_PERCENT = re.compile(r"\b(bao nhieu|may) (phan tram|%)")
_PERCENT = re.compile(r"\d\s*%|\d+ phần trăm", re.I)
# A fine asked ("quá hạn bị phạt bao nhiêu"): a fee, or its waiver, is no answer.
_ASKS_FINE = re.compile(r"\b(bi phat|xu phat|muc phat|tien phat|phat (bao nhieu|bn|may|tien))\b")
_FINE = re.compile(r"\b(phạt|xử phạt)\b", re.I)
# "bao nhiêu phút", "mấy ký tự" ask for a count of that unit: the "1." of a numbered step or
# the "6 chữ số" of a passcode is no answer to how long an OTP lasts.
_ASKS_UNIT = re.compile(r"\b(?:bao nhieu|may) (phut|giay|gio|tieng|ky tu|chu so)\b")
_ASKS_DEADLINE = re.compile(r"\b(trong (vong )?(bao nhieu|may|bao lau)|han|cham nhat|toi da)\b")
# How long a paper is valid ("Giá trị: … hoặc 6 tháng kể từ ngày cấp") answers "giấy đó dùng
# được bao lâu", not "mấy ngày thì có kết quả".
_VALIDITY = re.compile(
    r"(giá trị|hiệu lực)[^.]{0,80}\d+ (ngày|tháng|năm)|\d+ (ngày|tháng|năm) kể từ ngày cấp", re.I
)
_ASKS_VALIDITY = re.compile(
    r"\b(dung (duoc|dc) (trong )?(bao lau|may|bao nhieu)|gia tri (bao lau|may|trong)|hieu luc|"
    r"han (dung|su dung))\b"
)
_DOCUMENT_DATE = r"(?:ngày\s+)?(?:\d{1,2}/\d{1,2}/\d{4}|\d{1,2} tháng \d{1,2} năm \d{4})"
# A site's name: "dichvucong.gov.vn", not the bare ending ".gov.vn" that every state site
# shares, unless the ending is what is asked ("tên miền đuôi gì").
_WEBSITE = re.compile(r"https?://|(?<![.\w])[\w-]+(\.[\w-]+)*\.(vn|com|org|net)\b", re.I)
_SITE_ENDING = re.compile(r"(?<!\w)\.[\w-]+(\.[\w-]+)*\.(vn|com|org|net)\b", re.I)
_ASKS_ENDING = re.compile(r"\b(đuôi|duoi)\b", re.I)
_ASKS_WEBSITE = re.compile(
    r"\b(trang web|website|web nào|web nao|trang nào|trang nao|đường link|duong link|"
    r"tên miền|ten mien|địa chỉ web|dia chi web|địa chỉ trang|dia chi trang)\b",
    re.I,
)
_MARKER = r"^\s*(?:[-*•+]|\d{1,2}[.)]|[a-zđ][.)])\s+"
_LIST_MARK = re.compile(_MARKER)
_STEP = re.compile(r"^\s*(\d{1,2})[.)]\s+")  # a numbered item of _MARKER, with its number
# A list item that opens with a short label: "3. Ngày 26/3/2025: Thủ tướng phát động …" is
# one fact, though its colon before a capital ends a sentence for chunking.
_LABELLED_ITEM = re.compile(_MARKER + r"[^:.!?]{1,40}:$")
LABEL_WORDS = 6
# Where a lead sentence stops being a lead: one phone screen.
LEAD_CHARS = 420
FACT_BONUS = 0.25  # a sentence shaped like the asked fact
LABEL_BONUS = 0.25  # ... whose label names the kind asked ("Nơi làm: …" for "ở đâu")
# Labels that name a kind of fact: an entry's "Thời hạn: …", "Nơi làm: …", "Phí: …" lines.
_LABELLED_AS: dict[FactKind, re.Pattern[str]] = {
    "where": re.compile(_PLACE_LABEL),
    "duration": re.compile(_ITEM + r"Thời hạn[^:]{0,25}:"),
    "money": re.compile(_ITEM + r"(Phí|Lệ phí|Mức phí|Chi phí)[^:]{0,25}:"),
    "who": re.compile(_ITEM + r"(Cơ quan|Đơn vị)[^:]{0,25}:"),
}
DATED_BONUS = 0.5  # ... that dates the very document the question names by its number
LEAD_MARGIN = 0.1  # how much better than the opening sentence a lead must match
LOOSE_SHARE = 0.3  # ... how nearly as well, when a bare "ở", "tại" is all its shape
YES_NO_MARGIN = 0.2  # ... for a yes/no question, whose shape no sentence shows
YES_NO_MATCH = 0.15  # the share of a yes/no question a "Có …"/"Không …" sentence must match


def _sentences(line: str) -> list[str]:
    """The sentences of a line of an answer, a labelled list item kept whole."""
    return _glued(split_sentences(line), _opens_labelled_item)


def _opens_labelled_item(unit: str, _next: str) -> bool:
    return bool(_LABELLED_ITEM.match(unit)) and len(unit.split()) <= LABEL_WORDS


def _glued(sentences: list[str], holds_next: Callable[[str, str], bool]) -> list[str]:
    """Sentences, each joined to the one before it when that one holds it (`holds_next` of the
    unit so far and the sentence): a list item whose colon the sentence splitter took for an
    end."""
    units: list[str] = []
    for sentence in sentences:
        if units and holds_next(units[-1], sentence):
            units[-1] = f"{units[-1]} {sentence}"
        else:
            units.append(sentence)
    return units


def _holds_fact(sentence: str, question: str, kind: FactKind) -> bool:
    """Whether a sentence has the shape of the asked fact, beyond what the question says
    ("đến năm 2030 … bao nhiêu doanh nghiệp": 2030 is not the answer)."""
    said = set(re.findall(r"\d+", question))
    bare = re.sub(r"\d+", lambda m: "" if m.group() in said else m.group(), sentence)
    if _asks_address(question, kind):
        if _ASKS_ENDING.search(question) and _SITE_ENDING.search(bare):
            return True
        return bool(_WEBSITE.search(bare))  # "trang web nào": an address, not "tại xã"
    asked = fold(normalize(question))
    if kind == "number":
        if _ASKS_PERCENT.search(asked):
            return bool(_PERCENT.search(bare))
        unit = _ASKS_UNIT.search(asked)
        if unit:
            return re.search(rf"\d\s*{unit.group(1)}\b", fold(bare)) is not None
        if _ASKS_VALIDITY.search(asked):
            # "dùng được trong bao nhiêu tháng": how long it is valid, not any other number.
            return bool(_VALIDITY.search(bare))
    if kind == "money" and _ASKS_FINE.search(asked):
        return bool(_FINE.search(bare) and _FACT_SHAPES[kind].search(bare))
    if kind == "duration":
        if _DEADLINE.search(bare) and _ASKS_DEADLINE.search(asked):
            return True
        if _VALIDITY.search(bare) and _ASKS_VALIDITY.search(asked):
            return True
    return bool(_FACT_SHAPES[kind].search(bare))


def _asks_address(question: str, kind: FactKind) -> bool:
    """Whether a "where" question asks for a website ("trang web nào", "đường link")."""
    return kind == "where" and _ASKS_WEBSITE.search(question) is not None


def _named_document_date(question: str) -> re.Pattern[str] | None:
    """A date right after a document number the question names, or None when it names no
    number: "Nghị quyết số 03/NQ-CP ngày 09/01/2025" answers "nghị quyết 03/NQ-CP ban hành
    ngày nào"; "… Nghị quyết 71/NQ-CP ngày 01/4/2025: sửa đổi Chương trình ban hành kèm
    Nghị quyết 03/NQ-CP" only mentions it beside another document's date."""
    numbers = sorted(set(re.findall(r"\d+", normalize(question))))
    if not numbers:
        return None
    named = "|".join(numbers)
    return re.compile(rf"(?<![\d/])(?:{named})(?!\d)[^\s,;.:]*\s+{_DOCUMENT_DATE}", re.I)


def states_fact(answer: str, question: str, kind: FactKind) -> bool:
    """Whether any sentence of an answer has the shape of the asked fact."""
    return any(
        _holds_fact(sentence, question, kind)
        for line in answer.splitlines()
        for sentence in _sentences(line)
    )


def _scores(
    sentences: Sequence[str],
    question: str,
    weigh: Weigh,
    kind: FactKind | None,
    holds: Sequence[bool] | None = None,
) -> np.ndarray:
    """How well each sentence matches the question, plus FACT_BONUS for one shaped like the
    asked fact (`holds`, when the caller has it already)."""
    weights = weigh(lexical_tokens(question))
    total = sum(weights.values()) or 1.0
    if holds is None:
        holds = [kind is not None and _holds_fact(s, question, kind) for s in sentences]
    dated = _named_document_date(question) if kind == "time" else None
    label = _LABELLED_AS.get(kind) if kind else None
    scores = np.zeros(len(sentences))
    for i, sentence in enumerate(sentences):
        tokens = set(lexical_tokens(sentence))
        scores[i] = sum(w for t, w in weights.items() if t in tokens) / total
        if holds[i]:
            scores[i] += FACT_BONUS
            if label is not None and label.match(sentence):
                scores[i] += LABEL_BONUS
            if dated is not None and dated.search(sentence):
                scores[i] += DATED_BONUS
    return scores


def lead(answer: str, question: str, weigh: Weigh, kind: FactKind) -> str | None:
    """The sentence of an answer that holds the asked fact, said first; None when the answer
    already opens with it (or no sentence stands out)."""
    lines = [line for line in answer.splitlines() if line.strip()]
    numbered = [(n, s) for n, line in enumerate(lines) for s in _sentences(line)]
    sentences = [s for _, s in numbered]
    if len(sentences) < 2:
        return None
    holds = [_holds_fact(s, question, kind) for s in sentences]
    asked = without_asking(_asking_part(question, kind), kind)
    if kind == "yes_no":
        # Its "shape" is only a first word: "Không trả tiền cho người lạ …" is no answer to
        # "bán mật ong trên mạng có cần giấy phép không". It counts beside the question's words.
        scores = _scores(sentences, asked, weigh, kind, [False] * len(sentences))
        holds = [h and score >= YES_NO_MATCH for h, score in zip(holds, scores, strict=True)]
        scores += FACT_BONUS * np.array(holds)
    else:
        scores = _scores(sentences, asked, weigh, kind, holds)
    # A line that introduces a list (it ends with ":") is no fact of its own.
    scores[[i for i, s in enumerate(sentences) if s.rstrip().endswith(":")]] = -1.0
    first = next((i for i, s in enumerate(sentences) if not s.rstrip().endswith(":")), 0)
    best = int(np.argmax(scores))
    # Moved up only when clearly better, or when the opening sentence lacks the fact. An
    # entry answers its own yes/no question in its opening; another sentence goes first
    # only when it matches a point the opening does not ("… có mất phí không").
    if kind == "yes_no":
        margin, shaped = YES_NO_MARGIN, True
    elif holds[first]:
        margin, shaped = LEAD_MARGIN, holds[best]
    else:
        # An opening without the asked fact gives way to the best sentence that has it, even
        # one sharing fewer of the question's topic words ("Phí: số tiền hiện khi bạn nộp hồ
        # sơ" for "lý lịch tư pháp mất bao nhiêu tiền"), if it shares some.
        shaped_at = [i for i, has in enumerate(holds) if has]
        if shaped_at:
            best = max(shaped_at, key=lambda i: scores[i])
        margin = -1.0
        # A bare ask ("có mất tiền không" after a question on birth registration), or one
        # whose words no sentence shares ("mất bao lâu thì được duyệt" after one on temporary
        # residence): the shape alone makes the lead.
        topic = " ".join(topic_words(_asking_part(question, kind), kind))
        shares = _scores(sentences, topic, weigh, kind, [False] * len(sentences)) > 0
        # An address ("trang web nào") or a phone number ("gọi số nào") asked for is the
        # answer whatever words surround it.
        shaped = holds[best] and (
            _asks_address(question, kind)
            or kind == "contact"
            or (kind in _PLAIN_SHAPES and (scores[best] > FACT_BONUS or not shares.any()))
            # A sentence with a bare "ở", "tại" goes first only when it matches the question
            # nearly as well as the opening: "nhờ Tổ công nghệ số ở thôn, bản hướng dẫn thêm"
            # is no answer to where in VNeID the health book is.
            or (
                scores[best] > FACT_BONUS
                and (
                    kind != "where"
                    or _names_place(sentences[best])
                    or scores[best] - FACT_BONUS >= LOOSE_SHARE * scores[first]
                )
            )
        )
    if (
        best == first
        or scores[best] <= scores[first] + margin
        or not shaped
        or len(sentences[best]) > LEAD_CHARS
    ):
        return None
    text = _LIST_MARK.sub("", sentences[best]).strip()
    if _LIST_MARK.match(sentences[best]):
        intro = next(
            (
                s
                for s in reversed(sentences[:best])
                if s.rstrip().endswith(":") and not _LIST_MARK.match(s)
            ),
            None,
        )
        if intro is not None:
            text = f"{intro.rstrip()} {text[:1].lower()}{text[1:]}"
    elif len(lines[numbered[best][0]]) <= LEAD_CHARS:
        # The whole paragraph: "Thời hạn cấp phiếu: không quá 10 ngày …. Nếu … thì không
        # quá 15 ngày" is misread from its second sentence alone.
        text = _LIST_MARK.sub("", lines[numbered[best][0]]).strip()
    return text


def _names_place(sentence: str) -> bool:
    """Whether a sentence names a place outright (_PLACE_NAMED), not by a bare "ở", "tại"."""
    return _PLACE_NAMED.search(_LIST_MARK.sub("", sentence)) is not None


def _asking_part(question: str, kind: FactKind) -> str:
    """The first part of a two-part message, when it alone asks the fact: in "bao lâu thì
    xong, có cần lên công an không" the second part's words would only lead to other
    sentences. A fact asked second ("báo cáo 6 tháng gửi về sở nào, hạn ngày nào") leans on
    the first part's words."""
    parts = split_parts(question)
    if kind == "yes_no" or len(parts) < 2 or fact_kind(parts[0]) != kind:
        return question
    return question if any(fact_kind(part) == kind for part in parts[1:]) else parts[0]


def focused(answer: str, question: str, weigh: Weigh, kind: FactKind | None) -> str:
    """An FAQ answer, opened by the asked fact when the question asks for one."""
    if kind is None:
        return answer
    first = lead(answer, question, weigh, kind)
    return answer if first is None else f"{first}\n\nChi tiết:\n{answer}"


def excerpt(
    text: str,
    question: str,
    weigh: Weigh,
    kind: FactKind | None = None,
    limit: int = DOCUMENT_ANSWER_CHARS,
) -> str:
    """The sentences of a passage that best answer the question, in their order."""
    sentences = _glued(split_sentences(text), _opens_step)
    if len(" ".join(sentences)) <= limit:
        return "\n".join(sentences)
    scores = _scores(sentences, question, weigh, kind)
    # What each sentence says, without its list mark.
    saying = [_LIST_MARK.sub("", s).strip() for s in sentences]
    chosen: set[int] = set()
    said: set[str] = set()
    length = 0
    for i in np.argsort(-scores, kind="stable"):
        if chosen and (scores[i] <= 0 or length + len(sentences[i]) > limit):
            break
        if saying[i] in said:
            continue  # a focused answer says its lead twice: first, and again in its place
        # A numbered step comes with the steps before it ("2. Gõ tìm …" without "1. Mở kho
        # ứng dụng" reads as if a step were lost), or not at all.
        steps = [j for j in _earlier_steps(sentences, int(i)) if j not in chosen]
        needed = sum(len(sentences[j]) for j in steps) + len(sentences[i])
        if chosen and length + needed > limit:
            continue
        for j in [*steps, int(i)]:
            said.add(saying[j])
            chosen.add(j)
        length += needed
    return "\n".join(sentences[i] for i in sorted(chosen))


def _opens_step(unit: str, sentence: str) -> bool:
    """A numbered step that ends on a colon holds what follows it ("1. Mở kho ứng dụng: CH
    Play với máy Android, …" is one step), unless that is the next item."""
    return (
        bool(_STEP.match(unit)) and unit.rstrip().endswith(":") and not _LIST_MARK.match(sentence)
    )


def _earlier_steps(sentences: Sequence[str], i: int) -> list[int]:
    """The items of the numbered list a sentence belongs to that come before it."""
    number = _STEP.match(sentences[i])
    if number is None:
        return []
    wanted, found = int(number.group(1)) - 1, []
    for j in range(i - 1, -1, -1):
        if wanted < 1:
            break
        step = _STEP.match(sentences[j])
        if step is not None and int(step.group(1)) == wanted:
            found.append(j)
            wanted -= 1
    return found[::-1]
