"""Which topic answered a question: the FAQ topic of the source it was answered from."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from ..index import SourceInfo, resolve
from ..knowledge import TOPICS

log = logging.getLogger(__name__)


def topic_name(source: SourceInfo) -> str:
    """'VNeID và định danh điện tử' for a FAQ entry; 'Văn bản: <title>' for a document."""
    if source.kind == "faq" and source.topic:
        return TOPICS.get(source.topic, source.topic)
    return f"Văn bản: {source.title}"


def topic_names(sources: Mapping[str, SourceInfo]) -> dict[str, str]:
    """Source id → topic name, from an opened index's sources."""
    return {source_id: topic_name(source) for source_id, source in sources.items()}


def read_topic_names(index_dir: Path) -> dict[str, str] | None:
    """Source id → topic name from the index in `index_dir`, or None when there is none.

    Reads only the index's table of sources, so a report needs neither the vectors nor the
    embedding model.
    """
    path = resolve(index_dir) / "chunks.sqlite"
    if not path.is_file():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT id, kind, title, topic FROM sources").fetchall()
    except sqlite3.Error as exc:
        log.warning("cannot read the sources of %s: %s", path, exc)
        return None
    finally:
        db.close()
    return {
        str(i): topic_name(SourceInfo(str(i), str(k), str(t), None, tp, None, (), ""))
        for i, k, t, tp in rows
    }
