"""Reading a citizen's message before searching: what kind of fact it asks for, whether it
leans on the previous message, and whether it asks two things at once.

Everything here works on the normalised, diacritic-folded text (bot/text.py), so that
"bao nhiêu", "bao nhieu" and "bn" read alike. The rules are plain word patterns: they
decide how an answer is laid out and which searches to run, never what the answer says.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import islice, pairwise
from typing import Literal

from .text import fold, has_diacritics, nfc, normalize

FactKind = Literal["number", "money", "duration", "time", "who", "where", "contact", "yes_no"]

# "bao nhiêu" followed by a unit of time or a count asks no amount of money.
_NOT_MONEY = r"(?! (ngay|thang|nam|gio|phut|lau|lan|buoc|nguoi|ky tu|tuoi))"
# The first pattern that matches names the kind of fact asked for.
_FACT_PATTERNS: list[tuple[FactKind, re.Pattern[str]]] = [
    (
        "contact",
        re.compile(
            # One's own number changed, lost or registered is no number asked for.
            r"\b((?<!doi )(?<!thay )(?<!mat )(?<!cap nhat )(?<!sua )(?<!them )(?<!dang ky )"
            r"(?<!bang )so dien thoai|tong dai|hotline|duong day nong|goi so|so may|goi cho so|"
            r"dau so)\b"
        ),
    ),
    (
        "duration",
        re.compile(
            r"\b(bao lau|mat bao lau|may ngay|bao nhieu ngay|bao gio (thi )?(co|xong|duoc)|"
            r"khi nao (thi )?(co|xong)|thoi han giai quyet|tra ket qua sau)\b"
        ),
    ),
    (
        "money",
        re.compile(
            r"\b(bao nhieu tien|muc phi|le phi bao nhieu|phi bao nhieu|phat bao nhieu|"
            r"gia bao nhieu|(het|ton|mat|dong|nop|tra) bao nhieu"
            rf"{_NOT_MONEY}|"
            # "có mất phí không": whether it costs anything, asked as a yes or no.
            r"co (phai )?(mat|ton|thu|bi tru|bi thu|tinh|tra|dong|nop) (them )?(tien|phi|le phi)"
            # "có phải trả phí gì không": any fee at all, not which one.
            r"( gi| nao)?|"
            # "mất phí không", typed without its "có".
            r"(mat|ton) (them )?(tien|phi|le phi)( gi)? (khong|chua)( (a|ad|nhi|vay|ha))?$|"
            # "… hay miễn phí": the other half of the same yes or no.
            r"hay (la )?(mien phi|khong mat (tien|phi))|"
            # "lệ phí đăng ký kết hôn là bao nhiêu": the fee named, then its amount asked.
            r"(le phi|phi|chi phi|muc phi)( \S+){1,6} (la )?(bao nhieu|bn)"
            rf"{_NOT_MONEY}|"
            # "doanh thu dưới bao nhiêu một năm": an amount of money, not a count.
            r"(doanh thu|thu nhap)( (mot|moi|1|hang) (nam|thang))?"
            r"( (tu|duoi|tren|la|duoc|khoang|toi thieu|toi da))? (bao nhieu|bn))\b"
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(bao nhieu|may (phan tram|ngay|thang|nam|lan|buoc|nhom|muc|doanh nghiep|"
            r"nguoi|tuoi|so|ky tu|chu so|tieng|gio|phut|giay)|"
            r"ty le|phan tram|muc phi|le phi|het bao nhieu|"
            r"(nhung |moc )?tuoi nao|"
            r"mat bao nhieu)\b"
        ),
    ),
    (
        "time",
        re.compile(
            r"\b(khi nao|bao gio|luc nao|nam nao|ngay nao|thang nao|han chot|thoi han|"
            r"truoc ngay|den ngay|tu ngay|tu bao gio|tu nam nao|may gio)\b"
        ),
    ),
    (
        "who",
        re.compile(
            r"\b(ai|co quan nao|so nao|don vi nao|bo nao|cap nao|ben nao|to chuc nao|"
            r"nguoi nao|ai ky|ai ban hanh|chu tri|phu trach)\b"
        ),
    ),
    (
        "where",
        re.compile(
            r"\b(o dau|cho nao|noi nao|dia chi|trang nao|trang web|website|web nao|duong link|"
            r"ten mien|tai o dau|ung dung nao|app nao)\b"
        ),
    ),
    (
        "yes_no",
        re.compile(
            r"(\bco (duoc|phai|can|mat|bi|con|the)\b.*\b(khong|ko|chua)\s*$|"
            r"\b(duoc khong|phai khong|khong a|co khong|hay khong|chua a|duoc ko|co ko)\b|"
            r"\bco\b.+\b(khong|chua)\s*(a|ad|nhi|vay|the|nhe)?\s*$)"
        ),
    ),
]

# A follow-up leans on the previous message: it opens with a linking word, points back at
# something ("cái đó", "họ"), or names no subject at all ("mất bao lâu").
_FOLLOW_UP_OPENERS = re.compile(
    r"^(the|vay|con|neu|roi|the thi|vay thi|thi|ma|nhung|gio|the con|vay con|con neu|"
    r"the neu|vay neu|the la|vay la|sau do|xong|lam xong|the sao|vay sao|tiep theo|ngoai ra)\b"
)
# The openers whose bare form is also another word, and their own marked form.
_OPENER_MARKED = {
    "the": "thế",
    "vay": "vậy",
    "con": "còn",
    "thi": "thì",
    "ma": "mà",
    "nhung": "nhưng",
    "gio": "giờ",
}
_POINTING_BACK = re.compile(
    r"\b(cai (do|nay|ay)|cho (do|nay|ay)|ben (do|nay|ay)|tren do|o do|trong do|"
    r"viec (do|nay)|chuyen (do|nay)|thu do|nhu vay|nhu the(?! nao)|"
    r"(ke hoach|tai khoan|ung dung|app|trang|trang web|chuong trinh|phong trao|nghi quyet|"
    r"giay to|giay|the|ma|dich vu|thu tuc|nhom|link|duong link|tin nhan|so|phan mem|"
    r"khoa hoc|lop|to) (do(?! (ai|nguoi|co quan|cap|bo|so|ubnd|chinh phu|nha nuoc))|ay|kia))\b"
)
# "họ", "nó": them, it. Typed bare, "ho" and "no" are as often "hồ sơ", "hỗ trợ", "hộ kinh
# doanh", "nhận hộ", "nợ": only a bare one outside those words points back.
_THEM = ("họ", "nó")
_BARE_THEM = re.compile(
    r"(?<!nhan )(?<!lam )(?<!giup )(?<!ky )(?<!vay )(?<!tra )(?<!no )\b(ho|no)\b"
    r"(?! (so|tro|kinh|ngheo|khau|chieu|ten|gia|tich|dan|le|luc|xau|dong|thue|tien|nan|canh))"
)
# A message that says it changes the subject: "Giờ tôi hỏi chuyện khác: …".
_NEW_SUBJECT = re.compile(
    r"\b(hoi|hoi them|them|sang) (viec|chuyen|cau|van de|cai|y) khac\b|\bkhong lien quan\b"
)
# "… thì sao?": what about this case, of the topic just discussed; "… rồi, giờ làm sao?":
# what now, after what the previous message told; "em lỡ nạp 2 triệu rồi, lấy lại được
# không": what now, after doing what the previous message warned of.
_WHAT_ABOUT = re.compile(
    r"\bthi sao( (a|ad|nhi|vay|ha|the))?$|\b(roi|bay gio|gio) (thi )?(phai )?lam (sao|gi|the nao)\b"
    r"|\blo (\S+ ){1,6}roi\b"
)
# Words that carry no topic: question words, pronouns, particles, linking words.
_STOPWORD_TEXT = (
    "tôi mình em anh chị bác cô chú ông bà ad ạ à ơi nhé nha nhỉ vậy thế thì là có không "
    "được làm sao nào gì đâu ai bao nhiêu mấy khi ở của cho với và hay hoặc rồi mà nhưng "
    "nếu còn bị đã đang sẽ này đó ấy kia cái con những các một muốn cần phải nên như hả "
    "hở chưa xong lại ra vào lên xuống trên dưới về để từ thường giờ họ nó luôn nữa "
    "cũng vẫn lúc bây nay hôm hỏi giúp xin cảm ơn đấy đây"
)
_STOPWORDS = frozenset(fold(w) for w in _STOPWORD_TEXT.split())
# A message asking which website ("trang nào", "web gì"), not one only naming a link.
_ASKS_SITE = re.compile(r"\b(trang( web)?|web(site)?|(duong )?link|ten mien) (nao|gi|o dau)\b")
# A message asking for a phone number to call (not one about changing its own number).
_ASKS_HOTLINE = re.compile(
    r"\b(tong dai|hotline|duong day nong|goi (vao |den )?(so|sdt) (nao|may|gi))\b"
)
# Words that ask for a phone number rather than name whose it is.
_CONTACT_WORDS = frozenset(
    ("so", "sdt", "tong", "dai", "hotline", "thoai", "duong", "day", "nong", "goi", "lien", "he")
    + ("ho", "tro", "co", "quan", "cua", "bn")
    # "ứng dụng", "app", "phần mềm": whose app, not which; every app entry names the word.
    + ("ung", "dung", "app", "phan", "mem")
)
_MARKED_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
# Stopwords only as typed with their marks: "bạn" (you) carries no topic, but bare "ban" is as
# often "bán" (sell) or "bản" (village).
_MARKED_ONLY_STOPWORDS = frozenset({"bạn"})
# Typed without marks, these are as likely topic words: "dang ky" (đăng ký), "thuong tru"
# (thường trú), "thuong mai" (thương mại), "vay app" (a loan app, not "vậy").
_BARE_TOPIC_WORDS = frozenset({"dang", "thuong", "vay"})
# Names whose words, folded, are stopwords: "Lai Châu" is not "lại châu", "chu ky so" is
# "chữ ký số", not "chứ kỹ số"; "căn cước" keeps "căn" when the new message says "cần".
_NAMES_WITH_STOPWORDS = frozenset({("lai", "chau"), ("chu", "ky"), ("can", "cuoc")})
_YEAR = re.compile(r"(19|20)\d\d")
# Where one message holds two questions: after a question mark, or a comma or "và" that
# opens a new clause.
_PART_BREAK = re.compile(
    r"\?\s+(?=\S)"
    r"|[,;]\s*(?=(?:và |còn |với lại |vs lại |vs |va |voi lai |ngoài ra |thêm nữa |rồi |nếu |"
    r"có cần |có phải |có được |"
    r"có mất |có bị |có xem |có ai |ai |bao nhiêu |bao lâu |mấy |khi nào |ở đâu |làm sao |"
    r"cách |đi |tra |lấy |gọi |tiện (?:cho (?:\S+ )?)?hỏi|tien (?:cho (?:\S+ )?)?hoi|"
    # The same typed without marks; not "con", "may", "di", which are as often "con" (a
    # child), "máy", "dì".
    r"neu |co can |co phai |co duoc |co mat |co bi |co ai |bao nhieu |bao lau |khi nao |"
    r"o dau |lam sao |cach |"
    r"cho (?:\S+ )?(?:hỏi|hoi) (?:thêm|luôn|them|luon)))"
    r"|\s+(?=(?:và (?:làm sao|cách|có|ở đâu|bao lâu|bao nhiêu|mấy|ai|khi nào)\b))"
    # The same typed without marks, before a question word no other word is spelt as.
    r"|\s+(?=(?:va (?:lam sao|cach|o dau|bao lau|bao nhieu|khi nao)\b))",
    re.IGNORECASE,
)
# Run-on messages without punctuation ("vneid quen mat khau lay lai the nao voi lai doi so
# dien thoai thi lam sao"): a question word, then a linking word that opens the next
# question. Matched on the folded, normalised text.
# Question words, folded. The plain ones ask by themselves; "không", "chưa", "nào", "ai" also
# close yes/no and who questions.
_PLAIN_ASKING = "khi nao|o dau|bao nhieu|bao lau|gi|the nao|ra sao|lam sao"
_ASKING = f"{_PLAIN_ASKING}|la gi|khong|chua|nao|ai"
_TASKS = (
    "xem|tra|tra cuu|cap nhat|doi|nop|khoa|mo khoa|dang ky|cai|cai dat|tai|lay lai|huy|"
    "kich hoat|tich hop|sua|thanh toan|chuyen|dang nhap|in|nap|rut|gui"
)
_SPOKEN_BREAK = re.compile(
    rf"\b(?:{_ASKING}|lam gi|may)(?: (?:vay|a|nhi|the|nhe|ha|ad))? "
    r"(va|con|voi lai|voi ca|them nua|ngoai ra) "
    # A bare "với" only after a plain question word: "máy với", "không với" join, not split.
    rf"|\b(?:{_PLAIN_ASKING})(?: (?:vay|a|nhi|the))? (voi) "
    # "… với nếu …", "… và nếu …", "… mà nếu …": a linking word before "nếu" opens a new
    # case to ask about.
    r"|(?<=\w) (va|voi|voi lai|con|ma) (?=neu )"
    # An enumerated second question: "… một là nộp hồ sơ rồi theo dõi ở đâu hai là …" (only
    # after a first: "lớp hai là lớp nào" is one question).
    r"|(?<=\w) (?P<second>hai la|thu hai la|thu hai|2 la) "
    # Two things to do, asked once: "cách cài vssid và xem quá trình đóng bảo hiểm ở đâu",
    # "muốn đổi số điện thoại trên vneid với cập nhật địa chỉ thì làm thế nào" (see _WANTS).
    rf"|(?<=\w) (?P<task>va|voi) (?=(?:{_TASKS}) )"
    # A "how" and, after "và", a question of its own: "làm sao để con không xem nội dung độc
    # hại trên mạng và học online thì nên dùng app gì" (see _HOW and _PLAIN_ASKS).
    r"|(?<=\w) (?P<how>va) "
    # "… đổi số điện thoại trong vneid rồi tiện hỏi luôn đất nhà tôi muốn tách thửa …": one
    # more question announced.
    r"|(?<=\w) (?P<also>(?:roi |va |voi |con )?(?:tien (?:cho (?:\S+ )?)?hoi(?: luon| them)?"
    r"|cho (?:\S+ )?hoi (?:luon|them)|hoi (?:luon|them))) "
)
_FIRST = re.compile(r"\b(mot la|thu nhat|1 la)\b")
# A "how" or a wish before a task with its object: "cách cài vssid và xem …", not "tôi muốn
# xem và tải … ở đâu" (one question on two verbs).
_WANTS = re.compile(r"^(?:\S+ ){0,3}(cach|lam sao|muon|can) \S+ \S+")
_NONE_OF = re.compile(r"\b(?:chua|khong) co (?:\S+ ){0,3}nao\b")
_WISH = re.compile(r"\b(muon|can|xin|nho) (?!(?:hoi|biet|noi)\b)\S+")
# A "how" opening a clause (unlike _WANTS, not a wish): "làm sao để con không xem …".
_HOW = re.compile(r"^(?:\S+ ){0,3}(cach|lam sao|lam the nao|lam nhu nao)( de)? \S+ \S+ \S+")
# A clause that ends on a question word ("… nhắm tới những ai", "… có được không"), so that a
# comma after it may close one question: "nhắm tới những ai, làm bằng những cách gì?".
_ENDS_ASKING = re.compile(rf"\b({_ASKING})( (vay|a|nhi|the|nhe|ha|ad)){{0,2}}$")
# A question asked within a clause ("do ai ký", "gồm những gì", "ở đâu"), not only at its end.
_ASKED_WITHIN = re.compile(rf"\b(?:{_PLAIN_ASKING}|(?:do|la|voi|cho|nhung) ai)\b")
# "học online hay phải đến lớp": a choice asked, whatever the clause ends on.
_EITHER_OR = re.compile(r"\S \S+ hay (la|phai) \S")
_ASKS = re.compile(rf"\b({_ASKING}|dau|may)\b|\bsao$")  # "… thì lấy lại sao"
# A plain question word anywhere in a clause (see asking_clause).
_PLAIN_ASKS = re.compile(rf"\b({_PLAIN_ASKING}|la gi|nhu nao|sao)\b")
MIN_PART_WORDS = 3
# What asks besides a figure: which, where, how, who, what ("không" only closes a yes or no).
_OTHER_ASK = re.compile(r"\b(nao|o dau|the nao|lam sao|ra sao|ai|gi)\b")
# "Có mất tiền không" after a slip or a scam asks whether money will be lost, not what
# something costs: unless a fee is named or an amount asked.
_LOSING = re.compile(r"\b(lo|bi lua|lua dao|hack|bi chiem|ke gian|bi trom|mat trom|otp)\b")
_COSTING = re.compile(r"\b(phi|le phi|cuoc|bao nhieu|het|ton)\b")


def _folded(text: str) -> str:
    return fold(normalize(text))


def fact_kind(question: str) -> FactKind | None:
    """The kind of specific fact a question asks for, if any."""
    folded = _folded(question)
    for kind, pattern in _FACT_PATTERNS:
        if pattern.search(folded):
            if kind == "money" and _LOSING.search(folded) and not _COSTING.search(folded):
                continue  # "lỡ bấm vào link rồi, có mất tiền không": a loss, not a fee
            return kind
    return None


def asks_which_website(question: str) -> bool:
    """Whether a message asks which website ("có trang nào miễn phí", "web nào"), not only
    mentions a link ("tin nhắn kèm đường link có phải lừa đảo không")."""
    return _ASKS_SITE.search(_folded(question)) is not None


def contact_subject(question: str) -> list[str] | None:
    """The words naming whose phone number a message asks ("số tổng đài bảo hiểm xã hội" ->
    bảo hiểm xã hội), as typed, without the words that ask for it; None if it asks for none."""
    folded = _folded(question)
    if not _ASKS_HOTLINE.search(folded):
        return None
    # Of a two-part message, only the part that asks: "cài vneid thế nào, còn tổng đài điện
    # lực số mấy" asks for the power company's number, not VNeID's.
    asking_parts = [p for p in split_parts(question) if _ASKS_HOTLINE.search(_folded(p))]
    if len(asking_parts) == 1:
        question, folded = asking_parts[0], _folded(asking_parts[0])
    asking = set(folded.split()) - set(without_asking(question, "contact").split())
    return [
        w
        for w in normalize(question).split()
        if not _is_stopword(w) and fold(w) not in asking and fold(w) not in _CONTACT_WORDS
    ]


def without_asking(question: str, kind: FactKind) -> str:
    """A fact question without the words that ask for the fact, folded: "… phát động từ ngày
    nào" shares "từ ngày" with "Từ ngày 1/4/2025: …" only by the way it asks."""
    folded = _folded(question)
    if kind == "yes_no":  # its pattern spans the whole question
        return folded
    pattern = next(p for k, p in _FACT_PATTERNS if k == kind)
    return " ".join(pattern.sub(" ", folded).split())


def asks_besides(question: str, kind: FactKind) -> bool:
    """Whether a question asks something besides the figure of `kind`, in the same run-on
    clause: "thế bán trên sàn nào thì tốt cho bà con mình có mất phí không"."""
    return bool(_OTHER_ASK.search(without_asking(question, kind)))


def content_words(text: str) -> list[str]:
    """The folded words of a message that carry its topic ("chữ ký số" three of them)."""
    folded = [fold(w) for w in normalize(text).split() if w not in _MARKED_ONLY_STOPWORDS]
    return [w for w, names in _with_names(folded) if (w not in _STOPWORDS and len(w) > 1) or names]


def _with_names(words: list[str]) -> list[tuple[str, set[tuple[str, str]]]]:
    """Each word with the names of _NAMES_WITH_STOPWORDS it is a syllable of, read with its
    neighbours: "ký" in "chữ ký số" belongs to one, in "đăng ký" to none."""
    folded = [fold(w) for w in words]
    return [
        (w, {(before, f), (f, after)} & _NAMES_WITH_STOPWORDS)
        for w, before, f, after in zip(
            words, ["", *folded[:-1]], folded, [*folded[1:], ""], strict=True
        )
    ]


def looks_like_follow_up(question: str) -> bool:
    """Whether a message seems to lean on the one before it."""
    folded = _folded(question)
    if _NEW_SUBJECT.search(folded):
        return False
    if (
        (_FOLLOW_UP_OPENERS.match(folded) and _opens_as_typed(question))
        or _POINTING_BACK.search(folded)
        or _WHAT_ABOUT.search(folded)
        or _names_them(question)
    ):
        return True
    return len(content_words(question)) <= 3


def topic_words(question: str, kind: FactKind | None = None) -> list[str]:
    """The content words of a message left once the words that ask for a fact (of `kind`, by
    default the one it asks) are removed: "có mất phí không hay miễn phí hả bạn" names no
    topic at all."""
    kind = kind or fact_kind(question)
    words = content_words(question)
    if kind is None:
        return words
    left = set(without_asking(question, kind).split())
    return [w for w in words if w in left]


def asks_without_topic(question: str) -> bool:
    """Whether a message, without the words that ask ("mất mấy ngày", "ở đâu"), names hardly
    any topic: "mất mấy ngày, có cần ra công an không" leans on what was asked before."""
    return fact_kind(question) is not None and len(topic_words(question)) <= 3


def _opens_as_typed(question: str) -> bool:
    """Whether a message's first word, as typed, is the opener it folds to: "Thẻ BHYT …",
    "Mã QR …", "Những giấy tờ …" and, in a message typed with marks, a bare "con tôi …" or
    "vay tiền …" are other words than "thế", "mà", "nhưng", "còn", "vậy"."""
    words = normalize(question).split()
    if not words or fold(words[0]) not in _OPENER_MARKED:
        return True
    first = words[0]
    if first != fold(first):
        return first == _OPENER_MARKED[fold(first)]
    return not has_diacritics(question)


def _names_them(question: str) -> bool:
    """Whether a message speaks of "họ" or "nó", someone or something named before."""
    words = normalize(question).split()
    if any(w in _THEM for w in words):
        return True
    bare = " ".join(w if w == fold(w) else "_" for w in words)  # the bare words only
    return _BARE_THEM.search(bare) is not None


def topic_anchor(previous: str, question: str) -> str:
    """The words of the previous message that name its topic, minus what the new one says."""
    said = set(_folded(question).split())
    words = normalize(previous).split()
    if any(_YEAR.fullmatch(w) for w in said):
        # "còn đến năm 2045 thì sao" after a question on 2030 asks the same of 2045.
        words = [w for w in words if not _YEAR.fullmatch(w)]
    kept = []
    for w, names in _with_names(words):
        if names:
            # A name is kept whole unless the new message says all of it ("đăng ký" has "ký").
            if not all(set(name) <= said for name in names):
                kept.append(w)
        elif not _is_stopword(w) and fold(w) not in said:
            kept.append(w)
    return " ".join(kept)


def _is_stopword(word: str) -> bool:
    """ "khai tử" keeps "tử" (not "từ"), "mã QR" keeps "mã" (not "mà")."""
    return typed_in(word, _MARKED_STOPWORDS, _STOPWORDS - _BARE_TOPIC_WORDS)


def typed_in(word: str, marked: Collection[str], folded: Collection[str]) -> bool:
    """Whether a normalised word is among words, read as typed: one typed with its marks
    must be found with them; one typed without marks may be any word that folds to it."""
    return word in marked if fold(word) != word else word in folded


def split_parts(message: str) -> list[str]:
    """The questions of a message that asks two (or more) things; [] for one question."""
    pieces = _with_telling_joined(_break_pieces(message))
    if len(pieces) < 2:
        pieces = _comma_pieces(message)
    if len(pieces) < 2:
        pieces = _spoken_pieces(message)
    if len(pieces) < 2:
        pieces = _loose_pieces(message)
    if len(pieces) < 2:
        return []
    parts: list[str] = []
    for piece in pieces:
        if parts and len(piece.split()) < MIN_PART_WORDS:
            parts[-1] = f"{parts[-1]}, {piece}"  # too short to stand alone
        else:
            parts.append(piece)
    return parts if len(parts) >= 2 else []


def _break_pieces(message: str) -> list[tuple[str, bool]]:
    """The message cut at _PART_BREAK, each piece with whether a question mark closed it."""
    pieces, start = [], 0
    for match in [*_PART_BREAK.finditer(message), None]:
        end = match.start() if match else len(message)
        piece = message[start:end].strip(" ,;.")
        if piece:
            marked = bool(match and match.group().startswith("?")) or piece.endswith("?")
            pieces.append((piece, marked))
        start = match.end() if match else end
    return pieces


def _with_telling_joined(pieces: list[tuple[str, bool]]) -> list[str]:
    """The pieces, a last one that only tells after a question mark joined to the question
    it explains: "Tổng đài … là số nào ạ? Tôi đang ở viện chăm bố không về được" asks one
    thing. (Unmarked pieces before it are often questions typed without a mark.)"""
    texts = [p for p, _ in pieces]
    if len(pieces) >= 2 and pieces[-2][1] and not pieces[-1][1] and not _piece_asks(texts[-1]):
        return [*texts[:-2], f"{texts[-2]}? {texts[-1]}"]
    return texts


def _piece_asks(piece: str) -> bool:
    folded = _folded(piece).rstrip(" ?!.")
    return bool(
        _clause_asks(folded)
        or _ASKED_WITHIN.search(folded)
        or _EITHER_OR.search(folded)
        or _WISH.search(folded)
    )


def _comma_pieces(message: str) -> list[str]:
    """The questions of a message split at commas: each runs up to a clause that ends on a
    question word, so that what only tells ("e bị lừa chuyển 5tr r, e ko bít báo công an ở
    đâu, …") leads into the question after it; the last must ask too. [] for one question."""
    clauses = [p.strip(" .") for p in re.split(r"[,;]", message) if p.strip(" .?")]
    pieces: list[str] = []
    told: list[str] = []
    for clause in clauses[:-1]:
        told.append(clause)
        folded = _folded(clause).rstrip(" ?!")
        if _ENDS_ASKING.search(folded) or _EITHER_OR.search(folded):
            pieces.append(", ".join(told))
            told = []
    if not pieces:
        return []
    last = ", ".join([*told, clauses[-1]])
    # "chưa có tài khoản nào" tells, it does not ask.
    if not _ASKS.search(_NONE_OF.sub(" ", _folded(clauses[-1]).rstrip(" ?!"))):
        return []
    return [*pieces, last]


def _spoken_pieces(message: str) -> list[str]:
    """The questions of a run-on message, cut where _SPOKEN_BREAK finds a new one begins."""
    normalised = normalize(message)
    folded = fold(normalised)
    if len(folded) != len(normalised):  # positions would not line up
        return []
    pieces, start = [], 0
    for match in _SPOKEN_BREAK.finditer(folded):
        if not _ASKS.search(folded[match.end() :]):
            continue  # what follows asks nothing: "… được không với người già"
        before = folded[start : match.start()]
        if match.group("second") and not _FIRST.search(before):
            continue
        if match.group("task") and not _WANTS.search(before):
            continue
        if match.group("how") and not _asks_its_own(before, folded[match.end() :]):
            continue
        if match.group("also") and len(before.split()) < MIN_PART_WORDS:
            continue  # "à cho em hỏi luôn …" opens the one question
        pieces.append(normalised[start : match.start(match.lastindex or 1)].strip())
        start = match.end()
    pieces.append(normalised[start:].strip())
    return [p for p in pieces if p]


LOOSE_CUTS = 8
# On the message as typed (normalising drops punctuation): a comma or full stop, or a
# linking word; not "so với", a comparison ("thiếu gì so với mức 2 không"), nor a comma
# between digits.
_LOOSE_BREAK = re.compile(
    r"(?<=[^\W\d])\s*(?:[,;]|[.!?]+(?=\s))\s*"
    r"|(?<!\bso)\s+(?:va|voi|vs|con|ma|voi lai|vs lai|voi ca|them nua|ngoai ra)\s+",
    re.IGNORECASE,
)


def _loose_pieces(message: str) -> list[str]:
    """The two questions of a message no rule above splits, cut at the first comma, full stop
    or linking word with a question on each side: "cách đặt lịch khám online ở bệnh viện
    tỉnh còn app eTax Mobile dùng để làm gì" ("còn" unmarked may be "con", a child, so the
    rules above leave it). What comes before must ask within itself, not only hold a "không"
    ("tôi không có điện thoại thông minh mà …" tells). A wrong cut costs little: the
    answerer splits only when each part finds a sure entry of its own
    (Answerer._answers_apart)."""
    message = nfc(message)
    folded_message = fold(message)
    if len(folded_message) != len(message):
        return []  # positions would not line up
    # Each stretch between two breaks, and each break, normalised once; only the first few
    # breaks are tried, so that a long message of many commas costs no more than a short one.
    bounds = [0]
    for match in islice(_LOOSE_BREAK.finditer(folded_message), LOOSE_CUTS):
        bounds += [match.start(), match.end()]
    bounds.append(len(message))
    pieces = [normalize(message[start:end]) for start, end in pairwise(bounds)]
    for cut in range(1, len(pieces), 2):
        first = " ".join(p for p in pieces[:cut] if p)
        rest = " ".join(p for p in pieces[cut + 1 :] if p)
        before, after = fold(first), fold(rest)
        if (
            len(before.split()) >= MIN_PART_WORDS
            and len(after.split()) >= MIN_PART_WORDS
            and (
                _ENDS_ASKING.search(before.rstrip(" ?!"))
                or _ASKED_WITHIN.search(before)
                or _asks_its_own(before, after)
            )
            and _ASKS.search(_NONE_OF.sub(" ", after).rstrip(" ?!"))
        ):
            return [first, rest]
    return []


def _asks_its_own(before: str, after: str) -> bool:
    """Whether, after a question ("how", or one asking who or what: "Nghị quyết 57 do ai ký
    ban hành và tỉnh đã làm gì để triển khai"), what follows "và" asks a question of its own:
    not "cách đăng ký tài khoản VNeID và dịch vụ công là gì" (one thing, the two named)."""
    asked = _HOW.search(before) or _ASKED_WITHIN.search(before)
    return bool(asked and _PLAIN_ASKS.search(after) and " la gi" not in after)


# What only greets the bot or asks leave to ask ("ad ơi cho em hỏi", "Chào ad, cho tôi hỏi hai
# việc:"): words no entry shares, which only thin out how much of a question an entry covers
# ("ad ơi cho e hỏi dk vneid mức 2 thì lm ntn" found the level-1 entry).
_ADDRESSED = "ad|admin|anh|chi|em|ban|bac|co|chu|bot|moi nguoi"
_OPENING = re.compile(
    rf"^(?:(?:xin )?chao (?:{_ADDRESSED})\b\s*|xin chao\b\s*|chao (?=(?:cho|xin) ))?"
    rf"(?:(?:{_ADDRESSED}|chatbot) oi\s*)?"
    r"(?P<leave>(?:ad |admin )?(?:cho|xin|lam on cho) "
    r"(?:toi |em |e |minh |chau |con |bac |to |anh |chi )?(?:duoc )?hoi\b)?"
)
# The softening words after "hỏi", as typed: "thủ tục", "nhà tôi" hold no "thử", "nha" (folded,
# they are). Typed without marks, only the words that are seldom anything else ("thu", but
# not "thu tuc"); "nha" is as often "nhà".
_SOFTENERS = frozenset({"chút", "với", "tí", "xíu", "thử", "nhé", "nhá", "ạ", "chut", "xiu"})
_SOFTENERS_BARE = frozenset({"voi", "ti", "thu", "nhe"})
_HOW_MANY_ASKED = re.compile(r"(?:hai|2|may|mot|vai) (?:viec|y|cau|van de|chuyen)(?: la)?\b")


def without_opening(normalised: str) -> str:
    """A normalised message without its greeting and leave to ask; the message itself when
    that is all it says ("cho hỏi")."""
    folded = fold(normalised)
    opening = _OPENING.match(folded)
    # Folding maps each letter to one: the opening found folded is cut from the text by position.
    if opening is None or len(folded) != len(normalised):
        return normalised
    words = normalised[opening.end() :].split()
    if opening.group("leave"):  # softeners and "hai việc" follow only a leave to ask
        while words and (
            words[0] in _SOFTENERS or (words[0] in _SOFTENERS_BARE and words[1:2] != ["tuc"])
        ):
            words = words[1:]
        many = _HOW_MANY_ASKED.match(fold(" ".join(words)))
        if many:
            words = words[len(many.group().split()) :]
    return " ".join(words) or normalised


def asking_clause(message: str) -> str | None:
    """The one clause of a message that asks, when the others only tell ("à cho em hỏi luôn,
    nghị quyết 57 là gì, thấy trên xã treo băng rôn hoài"); None otherwise."""
    clauses = [c.strip() for c in re.split(r"[,;.!?]+", message) if c.strip()]
    if len(clauses) < 2:
        return None
    asking = [c for c in clauses if _clause_asks(_folded(c))]
    if not asking:
        # "em đi xuất khẩu lao động ở Hàn mới về, muốn đổi số điện thoại trên VNeID": no
        # clause asks, the one that wants something is the question.
        asking = [c for c in clauses if _WISH.search(_folded(c))]
    if len(asking) != 1 or not content_words(asking[0]):
        return None
    return asking[0]


def _clause_asks(folded: str) -> bool:
    """A clause asks when it ends on a question word or holds a plain one anywhere ("chưa" in
    "thôn chưa có sóng" tells, it does not ask)."""
    return bool(_ENDS_ASKING.search(folded) or _PLAIN_ASKS.search(folded))
