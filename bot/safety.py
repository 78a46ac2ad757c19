"""Messages the bot must not answer from the FAQ: harmful requests, health emergencies, and
requests for another person's personal data.

A neighbouring how-to entry is the worst possible answer to "how do I forge a birth
certificate" (it explains the legal procedure, step by step), and a generic decline invites
the person to rephrase. So these three concerns are recognised before retrieval, from
editable rules in `bot/data/safety.tsv`, and each has one fixed reply.

Rules pair a wrongdoing verb with its object, or another person with their data, rather
than single words: "căn cước" or "hack" alone is an ordinary question ("zalo bị hack thì làm
sao"). Each rule may name an exception (a victim, a prevention or "is it legal?" question)
that switches it off.

Rules generalise poorly to new wordings of an old wrong, so a learned model
(`bot/harm_model.py`) gives a second opinion on what the rules let through: `model_reading`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any, Literal, get_args

from bot.harm_model import shipped_model
from bot.text import fold, normalize

Concern = Literal["harmful", "emergency", "privacy"]
Reading = Literal["harmful", "legitimate"]

# A message that fits two concerns gets the reply of the first: someone in danger is helped
# first, and a request to break into an account is refused rather than answered as privacy.
PRIORITY: tuple[Concern, ...] = ("emergency", "harmful", "privacy")

REPLIES: dict[Concern, str] = {
    "harmful": (
        "Tôi không thể hỗ trợ yêu cầu này vì đó là hành vi vi phạm pháp luật. Làm giả giấy tờ, "
        "mua bán, thuê, mượn căn cước, tài khoản ngân hàng, tài khoản VNeID hay sim của người "
        "khác, xâm nhập tài khoản, lấy mã OTP hay đọc tin nhắn của người khác, lừa đảo chiếm "
        "đoạt tiền đều bị nghiêm cấm và có thể bị xử phạt hoặc truy cứu trách nhiệm hình sự. "
        "Nếu bạn bị người khác làm những việc này hoặc biết có người đang làm, hãy báo ngay cho "
        "công an cấp xã nơi cư trú."
    ),
    "emergency": (
        "Nếu là trường hợp khẩn cấp, bạn gọi ngay 115 để được cấp cứu, hoặc đưa người bệnh đến "
        "trạm y tế xã hay cơ sở y tế gần nhất. Đừng chần chừ khi có khó thở, đau ngực, méo "
        "miệng, yếu tay chân, co giật, ngất, chảy máu nhiều, bị rắn cắn, ngộ độc hoặc trẻ sốt "
        "cao. Tôi không thể tư vấn bệnh, thuốc hay liều dùng; bạn hãy hỏi bác sĩ hoặc nhân viên "
        "y tế. Nếu bạn hoặc người thân đang có ý nghĩ tự làm hại bản thân, hãy nói ngay với người "
        "nhà, đừng ở một mình, và gọi 115."
    ),
    "privacy": (
        "Tôi không thể tra cứu hay cung cấp thông tin cá nhân của người khác, như số căn cước, "
        "số điện thoại, địa chỉ, tài khoản, giao dịch hay lý lịch của họ: dữ liệu cá nhân của "
        "mỗi người được pháp luật bảo vệ. Nếu cần liên hệ ai đó, bạn hãy hỏi trực tiếp người đó "
        "hoặc người thân của họ. Thông tin của chính bạn (số định danh, nơi cư trú, các giấy tờ "
        "đã tích hợp) bạn xem được trong ứng dụng VNeID sau khi đăng nhập."
    ),
}

# "a ~ b": b follows a with at most this many words between them.
GAP_WORDS = 6

_CONCERNS: frozenset[str] = frozenset(get_args(Concern))
_EVADING = re.compile(
    r" (?:de|sao cho|ma|khoi|tranh|cho) (?:khong |ko |k )?bi (?:phat|bat|xu ly|phat hien|lo|tu)"
)
_NAME = re.compile(r"\{([a-z_]+)\}")
_GAP = re.compile(r"\s*~(\d*)\s*")
_TOKEN = re.compile(r"[^\W_]+")


class SafetyRulesError(ValueError):
    """A line of the safety rules that cannot be read."""


@dataclass(frozen=True)
class Rule:
    """One line of the rules: the concern, what it matches, and when it does not apply."""

    concern: Concern
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None
    line: int
    # Word slots every match fills, each with the words it can hold: a question that lacks
    # all the words of one slot is skipped without running the regular expression.
    slots: tuple[frozenset[str], ...] = ()


def concern(question: str) -> Concern | None:
    """The concern a raw message raises, or None for an ordinary question."""
    text = fold(normalize(question))
    if not text:
        return None
    text = " " + text  # every rule starts with this space: see _compile
    words = frozenset(_TOKEN.findall(text))
    rules, by_word, always = _rule_index()
    candidates = set(always)
    for word in words:
        candidates.update(by_word.get(word, ()))
    for position in sorted(candidates):  # in PRIORITY order, then as written
        rule = rules[position]
        for slot in rule.slots:
            if slot.isdisjoint(words):
                break
        else:
            if rule.pattern.search(text) and not (rule.unless and rule.unless.search(text)):
                return rule.concern
    return None


@lru_cache(maxsize=1)
def rules_by_concern() -> dict[Concern, tuple[Rule, ...]]:
    """The rules of bot/data/safety.tsv, compiled once, grouped by concern."""
    rules = parse_rules(_rules_text())
    return {name: tuple(r for r in rules if r.concern == name) for name in PRIORITY}


@lru_cache(maxsize=1)
def _rule_index() -> tuple[tuple[Rule, ...], dict[str, tuple[int, ...]], tuple[int, ...]]:
    # All rules in the order they are tried; for each word, the rules whose first slot (the
    # one with the fewest words) it fills; and the rules without slots, tried every time.
    rules = tuple(rule for name in PRIORITY for rule in rules_by_concern()[name])
    by_word: dict[str, list[int]] = {}
    for position, rule in enumerate(rules):
        for word in rule.slots[0] if rule.slots else ():
            by_word.setdefault(word, []).append(position)
    always = tuple(position for position, rule in enumerate(rules) if not rule.slots)
    return rules, {word: tuple(found) for word, found in by_word.items()}, always


def asks_if_punished(question: str) -> bool:
    """Whether a message asks if an act is lawful or what it costs the doer ("làm giả giấy
    tờ bị phạt thế nào", "có bị liên đới không"): the rules' {legal} list, but not a wish to
    escape it ("… để không bị phạt", "… mà không bị bắt")."""
    text = " " + fold(normalize(question))
    return _legal_pattern().search(text) is not None and _EVADING.search(text) is None


def _evades_punishment(question: str) -> bool:
    """Whether a message wants to escape punishment ("muốn bán mà không bị bắt")."""
    return _EVADING.search(" " + fold(normalize(question))) is not None


def model_reading(question: str) -> Reading | None:
    """What the learned model (bot/harm_model.py) is sure of in a message: a harmful request,
    or a legitimate one; None when it is unsure or not shipped. Harmful is only a reading: the
    message is still searched, and an emergency or privacy entry that fits it better still
    speaks. Legitimate overrules a refusal entry that matches only its words (the rules stand:
    overruling them too cost as many harmful requests as it spared legitimate ones)."""
    model = shipped_model()
    if model is None or not model.reads(question):
        return None
    probability = model.probability(question)
    if probability >= model.sure or (probability >= model.cutoff and not excused(question)):
        return "harmful"
    if probability < model.clear and not _evades_punishment(question):
        # A wish to escape punishment ("muốn bán mà không bị bắt") is never legitimate.
        return "legitimate"
    return None


def excused(question: str) -> bool:
    """Whether a message is answered, never refused, even when a refusal entry of the
    knowledge base matches it best: a victim's ("tôi lỡ đọc mã OTP cho người ta", the rules'
    {victim} list), a question on what a term means ("sim chính chủ là gì", {meaning}), on
    keeping others out of one's own account ({guard} with {own}), something done with the
    person's consent ({consent}), others' data kept as the law asks ({lawful}: "lưu bản
    sao căn cước của nhân viên thế nào cho đúng quy định"), or how to spot a scam
    ({spotting}: "cách nhận biết tin nhắn giả mạo ngân hàng"). Other prevention words and
    "is it punished?" do not count here: a refusal entry, which says the act is unlawful,
    answers "làm giả giấy tờ bị phạt thế nào" better than the nearest other entry would."""
    text = " " + fold(normalize(question))
    if _excuse_pattern().search(text) is not None:
        return True
    own, _ = _own_patterns()
    return _guard_pattern().search(text) is not None and own.search(text) is not None


def about_oneself(question: str) -> bool:
    """Whether a message asks about the asker's own data ("số dư tài khoản của tôi", the
    rules' {own} list) and names nobody else: a privacy refusal entry does not fit it."""
    return _found_without(question, _own_patterns())


@lru_cache(maxsize=1)
def _own_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    lists = _rules_lists()
    return _compile("{own}", lists, 0), _compile("{other}|{others_kin}|{named}", lists, 0)


def seeks_personal_data(question: str) -> bool:
    """Whether a message asks to look up someone's identifying data ("tra giúp địa chỉ chỗ ở
    của cháu", "tra tên thật người có số điện thoại này"). When the learned model reads such a
    message as harmful, it is refused as privacy: a mother who lost touch with her daughter is
    told that others' data is protected, not that she is breaking the law."""
    return _found_without(question, _seeking_patterns())


def _found_without(question: str, patterns: tuple[re.Pattern[str], re.Pattern[str]]) -> bool:
    """Whether the first pattern matches the folded message and the second does not."""
    text = " " + fold(normalize(question))
    wanted, unwanted = patterns
    return wanted.search(text) is not None and unwanted.search(text) is None


@lru_cache(maxsize=1)
def _seeking_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Breaking into an account or forging a paper is a crime to refuse as such, whatever data
    # it is after ("dò mật khẩu khi biết số căn cước", "bản giả lý lịch tư pháp").
    lists = _rules_lists()
    return (
        _compile(r"(?:{lookup}) (?:\S+ ){0,6}(?:{pstrong}|ten that|ho ten)", lists, 0),
        _compile(
            r"{intrude}|{forge}|{fake}|sua|mat khau|ma xac nhan|otp|dang nhap|doc trom|vao duoc"
            r"|cap lai sim",
            lists,
            0,
        ),
    )


@lru_cache(maxsize=1)
def _guard_pattern() -> re.Pattern[str]:
    return _compile("{guard}", _rules_lists(), 0)


@lru_cache(maxsize=1)
def _legal_pattern() -> re.Pattern[str]:
    return _compile("{legal}", _rules_lists(), 0)


@lru_cache(maxsize=1)
def _excuse_pattern() -> re.Pattern[str]:
    return _compile("{victim}|{meaning}|{consent}|{lawful}|{spotting}", _rules_lists(), 0)


@lru_cache(maxsize=1)
def _rules_lists() -> dict[str, str]:
    return parse_lists(_rules_text())


@lru_cache(maxsize=1)
def _rules_text() -> str:
    """bot/data/safety.tsv, read once for the rules and the lists the answer core reads."""
    return resources.files("bot").joinpath("data/safety.tsv").read_text("utf-8")


def parse_lists(text: str) -> dict[str, str]:
    """The named lists ("define" lines) of a safety.tsv file, expanded."""
    lists: dict[str, str] = {}
    for number, fields in _lines(text):
        if fields[0] == "define":
            if len(fields) != 3 or not re.fullmatch(r"[a-z_]+", fields[1]):
                raise SafetyRulesError(f"safety.tsv line {number}: define <name> <alternatives>")
            lists[fields[1]] = _expand(fields[2], lists, number)
    return lists


def _lines(text: str) -> Iterable[tuple[int, list[str]]]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.strip() and not raw.lstrip().startswith("#"):
            yield number, [field.strip() for field in raw.split("\t")]


def parse_rules(text: str) -> list[Rule]:
    """Rules from the text of a safety.tsv file (its format is described at its top)."""
    lists = parse_lists(text)
    rules: list[Rule] = []
    for number, fields in _lines(text):
        kind = fields[0]
        if kind == "define":
            continue
        if kind not in _CONCERNS or len(fields) not in (2, 3) or not fields[1]:
            raise SafetyRulesError(
                f"safety.tsv line {number}: expected harmful|emergency|privacy <pattern> [unless]"
            )
        unless = fields[2] if len(fields) == 3 and fields[2] else None
        pattern = _compile(fields[1], lists, number)
        rules.append(
            Rule(
                concern=kind,  # type: ignore[arg-type]  # checked against _CONCERNS above
                pattern=pattern,
                unless=_compile(unless, lists, number) if unless else None,
                line=number,
                slots=word_slots(pattern),
            )
        )
    return rules


def _expand(pattern: str, lists: dict[str, str], number: int) -> str:
    def named(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in lists:
            raise SafetyRulesError(f"safety.tsv line {number}: {{{name}}} is not defined above")
        return f"(?:{lists[name]})"

    def gap(match: re.Match[str]) -> str:
        return rf"(?: \S+){{0,{match.group(1) or GAP_WORDS}}} "

    # Normalised text has exactly one space between words.
    return _GAP.sub(gap, _NAME.sub(named, fold(pattern)))


def _compile(pattern: str, lists: dict[str, str], number: int) -> re.Pattern[str]:
    # A leading space, matched against the space put before the text, anchors every rule at
    # the start of a word, and lets the regex engine skip straight from space to space: five
    # times faster than trying the rule at every letter.
    source = rf" (?:{_expand(pattern, lists, number)})(?!\w)"
    try:
        return re.compile(source)
    except re.error as exc:
        raise SafetyRulesError(f"safety.tsv line {number}: {exc}") from exc


# Trying seventy rules on every message would cost more than normalising it, so a rule is
# tried only when the message has, for every word slot the rule always fills, one of the
# words that slot can hold ("mua ~ {identity}": "mua", and "can", "tai", "the"…); the words
# of each rule's first slot index the rules (_rule_index). The slots are read from the
# rule's parsed regular expression with the standard library's own parser. Whatever the walk
# below does not understand yields no slot, so a rule is never skipped wrongly; at worst it
# is tried needlessly (tests/test_safety.py checks this against trying every rule).
_MAX_WORDS = 2000
_State = frozenset[tuple[str, bool]]  # (word so far, word finished)


def word_slots(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    """For each word every match must contain, the words it can be (see above)."""
    try:
        ops = list(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # an unfamiliar parser: try the rule on every message
        return ()
    if not ops or ops[0] != (sre.LITERAL, ord(" ")):
        return ()
    sequence = ops[1:]  # the parser inlines the rule's (?:…) group
    slots = []
    starts_word = True
    for i, (op, arg) in enumerate(sequence):
        if starts_word:
            states = _walk(sequence[i:], frozenset({("", False)}))
            if states is not None and all(word for word, _ in states):
                slots.append(frozenset(word for word, _ in states))
        starts_word = op is sre.LITERAL and arg == ord(" ")
    return tuple(sorted(slots, key=len))  # the fewest words first: the likeliest to be absent


def _walk(ops: Iterable[tuple[Any, Any]], states: _State) -> _State | None:
    """The words spelt so far once ops have matched, from states; None for ops not plain
    enough to tell."""
    for op, arg in ops:
        open_ = frozenset(s for s in states if not s[1])
        if not open_:
            break
        new: _State | None
        if op is sre.LITERAL:
            new = _spell(open_, [arg])
        elif op is sre.IN and all(kind is sre.LITERAL for kind, _ in arg):
            new = _spell(open_, [char for _, char in arg])  # [ab], and (?:a|b) parsed as [ab]
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            new = open_  # anchors and lookarounds consume nothing
        elif op is sre.SUBPATTERN:
            new = _walk(arg[-1], open_)
        elif op is sre.BRANCH:
            branches = [_walk(branch, open_) for branch in arg[1]]
            if any(b is None for b in branches):
                return None
            new = frozenset().union(*branches)  # type: ignore[arg-type]
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, body = arg
            once = _walk(body, open_)
            # Repeating a body that does not end the word would make words of any length.
            if once is None or (high > 1 and any(not finished for _, finished in once)):
                return None
            new = once | open_ if low == 0 else once
        else:
            return None
        if new is None:
            return None
        states = (states - open_) | new
        if len(states) > _MAX_WORDS:
            return None
    return states


def _spell(states: _State, chars: list[int]) -> _State:
    # A letter or digit lengthens the word; anything else (a space, "-", "/") ends it.
    return frozenset(
        (word + chr(char), False) if chr(char).isalnum() else (word, True)
        for word, _ in states
        for char in chars
    )
