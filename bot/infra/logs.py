"""Logging: lines a person can read by default, JSON lines on request.

Lines about a case carry ``guild_id`` and ``case_id`` through ``extra=``; member text
and tokens never go into a log line.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

CONTEXT_KEYS = ("guild_id", "case_id", "ref", "shard_id")


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{k}={getattr(record, k)}" for k in CONTEXT_KEYS if hasattr(record, k))
        return f"{line} [{context}]" if context else line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: getattr(record, k) for k in CONTEXT_KEYS if hasattr(record, k)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # DEBUG is for Tend's own lines. The libraries below log raw gateway payloads, SQL and its
    # parameters (member ids, a reporter's among them) at DEBUG and INFO, so they stay above.
    logging.getLogger("discord").setLevel(max(logging.getLevelName(level), logging.INFO))
    logging.getLogger("alembic").setLevel(max(logging.getLevelName(level), logging.INFO))
    for library in ("aiosqlite", "asyncpg", "sqlalchemy", "aiohttp", "apscheduler"):
        logging.getLogger(library).setLevel(max(logging.getLevelName(level), logging.WARNING))
