"""The editors' console at /admin: server-rendered pages (Jinja2 templates and static files
beside this package) for the community tech team, editors and administrators."""

from __future__ import annotations

from .app import create_console

UPLOAD_PATH = "/admin/faq/import"  # the one route taking bodies above CDS_MAX_BODY_BYTES

__all__ = ["UPLOAD_PATH", "create_console"]
