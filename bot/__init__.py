"""cds-bot: a Vietnamese question-answering bot on digital transformation."""

__version__ = "0.1.0"
