"""One JSON object per log line, for Django's loggers and gunicorn's (error and access logs).

Log collectors (Loki, Cloud Logging, ...) parse these without a custom pattern. A record from
gunicorn's access log carries the request's fields (gunicorn passes them as the record's args).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

# gunicorn's access-log atoms worth a field of their own: atom -> field name
ACCESS_FIELDS = {
    "h": "remote_addr",
    "m": "method",
    "U": "path",
    "q": "query",
    "s": "status",
    "B": "bytes",
    "f": "referer",
    "a": "user_agent",
}


def logging_config(level: str, loggers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A `logging.config.dictConfig` that sends the root logger and `loggers` to stdout as JSON
    lines at `level`; Django's LOGGING and gunicorn's logconfig_dict are both this."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "guestbook.jsonlog.JsonFormatter"}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": loggers,
    }


class JsonFormatter(logging.Formatter):
    """time, level, logger, message; the access fields; the exception as one string."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            entry.update(_access_fields(record.args))
        status = getattr(record, "status_code", None)  # django.request's 4xx/5xx records
        if isinstance(status, int):
            entry["status"] = status
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _access_fields(atoms: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for atom, name in ACCESS_FIELDS.items():
        value = atoms.get(atom)
        if value not in (None, "", "-"):
            fields[name] = value
    for name in ("status", "bytes"):
        if isinstance(fields.get(name), str) and fields[name].isdigit():
            fields[name] = int(fields[name])
    duration = atoms.get("D")  # microseconds
    if isinstance(duration, int):
        fields["duration_ms"] = round(duration / 1000, 3)
    return fields
