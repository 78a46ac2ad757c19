from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot import keys
from bot.keys import load_keys


def test_replicas_starting_together_agree_on_one_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.key"
    first = load_keys(path)  # the replica that wrote the file first
    read = keys._read
    calls = iter([{}])
    # The second replica looked before the file existed and writes after it was made.
    monkeypatch.setattr(keys, "_read", lambda p: next(calls, None) or read(p))
    second = load_keys(path)
    assert second.user_hash == first.user_hash
    assert json.loads(path.read_text())["user_hash_secret"].encode() == first.user_hash
    assert [p.name for p in tmp_path.iterdir()] == ["db.key"]  # no temporary left behind


def test_a_key_file_missing_a_key_is_completed_in_place(tmp_path: Path) -> None:
    path = tmp_path / "db.key"
    path.write_text(json.dumps({"user_hash_secret": "kept"}))
    path.chmod(0o600)
    loaded = load_keys(path)
    assert loaded.user_hash == b"kept"
    assert set(json.loads(path.read_text())) == {"user_hash_secret", "token_key"}
