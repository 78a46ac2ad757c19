"""Text from citizens made safe to store and to show: no control characters, no terminal
escape sequences, no bidirectional overrides.

Questions end up in an operator's terminal (`python -m bot handovers`, `report`) and in the
team's Telegram group. An escape sequence there can recolour or clear the screen, rewrite the
line above (a carriage return), set the window title or, on some terminals, write to the
clipboard; a right-to-left override makes text read differently from what it is.
"""

from __future__ import annotations

import re

# ECMA-48: control sequences (CSI …final), strings (OSC, DCS, SOS, PM, APC … terminator;
# an unterminated one runs to the end, as a terminal would read it), then any other escape.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """The text without escape sequences and control characters; line breaks become \\n,
    tabs stay."""
    text = _ESCAPES.sub("", text)
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROLS.sub("", text)


def one_line(text: str) -> str:
    """`clean` text on one line, for listings: every run of whitespace becomes one space."""
    return " ".join(clean(text).split())
