"""Log formatters: one JSON object per line in production mode, readable lines in development.

An event (``ops.events``) carries its fields on the record (``record.fields``); both formatters show
them, after stripping any secret (``ops.redact``)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from ops.redact import scrub

# Attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def record_fields(record: logging.LogRecord) -> dict:
    fields = dict(getattr(record, "fields", None) or {})
    for key, value in vars(record).items():
        if key not in _STANDARD and key != "fields":
            fields.setdefault(key, value)
    return scrub(fields)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        line.update(record_fields(record))
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = scrub(super().format(record))
        fields = record_fields(record)
        if fields:
            text += " " + " ".join(f"{key}={value}" for key, value in fields.items())
        return text
