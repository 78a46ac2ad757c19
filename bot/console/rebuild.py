"""Rebuilding the index from the console, with its progress as JSON for the page's script."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from .context import Editor, redirect, render

router = APIRouter()


@router.get("/rebuild", response_class=HTMLResponse)
async def rebuild_page(
    current: Editor,
) -> Response:
    index = current.console.service.answerer.retriever.index
    return render(
        current,
        "rebuild.html",
        page="rebuild",
        build=current.console.rebuild.status,
        index=index,
        built_at=index.manifest.get("built_at", ""),
    )


@router.post("/rebuild")
async def rebuild_start(
    current: Editor,
) -> Response:
    if not current.console.rebuild.start():
        return redirect(current, "/admin/rebuild", "Chỉ mục đang được xây, vui lòng chờ xong.")
    return redirect(current, "/admin/rebuild")


@router.get("/rebuild/status")
async def rebuild_status(
    current: Editor,
) -> dict:
    data = current.console.rebuild.status.to_dict()
    index = current.console.service.answerer.retriever.index
    data["serving"] = {"build": index.path.name, "chunks": len(index.chunks)}
    return data
