"""Try a question: the answer the running bot would give, and the candidates it weighed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from ..answer import MAX_QUESTION_CHARS, Answer
from .context import Team, Visit, render

router = APIRouter()
CANDIDATES = 8


@dataclass(frozen=True)
class Candidate:
    id: str
    kind: str
    title: str
    section: str
    score: float
    dense: float
    lexical: float


def weigh(current: Visit, question: str) -> tuple[Answer, list[Candidate], float]:
    """The bot's answer, its best candidates and the threshold it declines below."""
    answerer = current.console.service.answerer  # the build serving now
    answer = answerer.answer(question)
    hits = answerer.retriever.search(question, k=CANDIDATES)
    candidates = [
        Candidate(
            hit.source.id,
            hit.source.kind,
            hit.source.questions[0] if hit.source.questions else hit.source.title,
            hit.chunk.section if hit.source.kind == "document" else "",
            hit.score,
            hit.dense,
            hit.lexical,
        )
        for hit in hits
    ]
    return answer, candidates, answerer.threshold


@router.get("/try", response_class=HTMLResponse)
async def try_question(current: Team, q: str = "") -> Response:
    question = " ".join(q.split())[:MAX_QUESTION_CHARS]
    answer: Answer | None = None
    candidates: list[Candidate] = []
    threshold = 0.0
    if question:
        answer, candidates, threshold = await asyncio.to_thread(weigh, current, question)
    return render(
        current,
        "try.html",
        page="try",
        question=question,
        answer=answer,
        candidates=candidates,
        threshold=threshold,
    )
