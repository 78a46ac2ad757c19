from __future__ import annotations

import re

from bot.cli import build_parser
from bot.settings import setting_names

from .conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")
MAKEFILE = (ROOT / "Makefile").read_text("utf-8")


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [name for name in setting_names() if f"`{name}`" not in README]
    assert missing == []


def test_readme_make_targets_exist() -> None:
    targets = set(re.findall(r"^([a-z-]+):", MAKEFILE, re.MULTILINE))
    used = set(re.findall(r"\bmake ([a-z-]+)", README))
    assert used <= targets


def test_readme_cli_commands_exist() -> None:
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    used = set(re.findall(r"python -m bot ([a-z-]+)", README))
    assert used <= commands
