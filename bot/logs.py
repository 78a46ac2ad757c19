"""Logging set-up in one place: format and level, and the libraries that would log secrets or
personal data.

httpx logs every request's URL at INFO, and the Telegram and Zalo Bot APIs carry the bot
token in the URL; python-telegram-bot logs each API call's parameters (chat ids) and each
update (ids, names, text) at DEBUG. Those loggers are held at WARNING and INFO whatever
CDS_LOG_LEVEL says. As a last guard, the handlers the CLI installs replace the value of any
secret setting with *** should it still appear in a line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CAPPED = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    "telegram": logging.INFO,
    "faiss": logging.WARNING,
    "bm25s": logging.WARNING,
}


def cap_libraries() -> None:
    """Hold the loggers in CAPPED at their level or above, whatever the root's level."""
    for name, level in CAPPED.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < level:
            logger.setLevel(level)


class RedactSecrets(logging.Filter):
    """Replaces the given secret values with *** in a record's message and traceback."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self._secrets:
            message = message.replace(secret, "***")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "***")
        record.msg, record.args = message, None
        return True


def configure(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, libraries capped, `secrets` never written."""
    logging.basicConfig(level=level.upper(), format=FORMAT)
    cap_libraries()
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
