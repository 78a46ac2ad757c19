"""Storage: the `Store` the rest of the bot asks ("log this answer", "claim this delivery"),
over a small database layer with two back ends, SQLite (the default: one file, nothing to set
up) and PostgreSQL (CDS_DATABASE_URL: one database several servers share), and one list of
numbered migrations for both."""

from __future__ import annotations

from ..settings import Settings
from .database import Database
from .migrations import MIGRATIONS
from .sqlite import SQLiteDatabase
from .store import (
    DELIVERY_MEMORY_SECONDS,
    ENCRYPTED,
    ConsoleUser,
    Delivery,
    Forgotten,
    Purged,
    Stats,
    Store,
    TicketEvent,
    TicketRow,
)


def open_database(settings: Settings) -> Database:
    """The database the settings name: PostgreSQL at CDS_DATABASE_URL, else SQLite at
    CDS_DB_PATH."""
    if settings.database_url is not None:
        from .postgres import PostgresDatabase

        return PostgresDatabase(settings.database_url.get_secret_value())
    return SQLiteDatabase(settings.db_path)


__all__ = [
    "DELIVERY_MEMORY_SECONDS",
    "ENCRYPTED",
    "MIGRATIONS",
    "ConsoleUser",
    "Database",
    "Delivery",
    "Forgotten",
    "Purged",
    "Stats",
    "Store",
    "TicketEvent",
    "TicketRow",
    "open_database",
]
