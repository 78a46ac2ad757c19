from __future__ import annotations

import time

import pytest

from bot.storage import Store


def test_unanswered_questions_are_declined_and_thumbs_down_in_the_period(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(time, "time", lambda: clock[0])
    user = store.user_hash("web", "u")

    def ask(at: float, question: str, answered: bool, helpful: bool | None = None) -> None:
        clock[0] = at
        cid = store.log_conversation("web", user, question, answered, "faq", 0.9, None)
        if helpful is not None:
            store.add_feedback("web", user, cid, helpful)

    ask(1000, "before the period", False)
    ask(2000, "declined", False)
    ask(2100, "answered, 👎", True, helpful=False)
    ask(2200, "answered, 👍", True, helpful=True)
    ask(2300, "answered, no feedback", True)
    ask(2400, "declined, 👎", False, helpful=False)
    ask(3000, "after the period", False)
    rows = store.unanswered_questions(2000, 3000)
    assert [(row["question"], row["why"]) for row in rows] == [
        ("declined", "declined"),
        ("answered, 👎", "unhelpful"),
        ("declined, 👎", "declined"),
    ]
    assert rows[0]["created_at"] == 2000 and rows[0]["channel"] == "web"
    assert len(store.unanswered_questions(2000)) == 4
