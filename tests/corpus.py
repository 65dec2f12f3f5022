"""Access to the shared QuickBooks payload corpus (checked out beside the repository) for tests."""

import json
import os
from decimal import Decimal
from pathlib import Path

import requests
from requests.structures import CaseInsensitiveDict

CORPUS = Path(
    os.environ.get("QBO_CORPUS", Path(__file__).resolve().parents[1].parent / "shared" / "qbo-corpus")
).resolve()
if not (CORPUS / "MANIFEST.md").is_file():
    # The corpus is the ground truth of many tests: its absence must fail the run, not skip tests.
    raise RuntimeError(f"QuickBooks payload corpus not found at {CORPUS} (set QBO_CORPUS)")


def corpus_bytes(relative: str) -> bytes:
    return (CORPUS / relative).read_bytes()


def corpus_json(relative: str) -> dict:
    return json.loads(corpus_bytes(relative), parse_float=Decimal)


def corpus_index(folder: str) -> list[dict]:
    return json.loads((CORPUS / folder / "index.json").read_text())


def recorded_headers(entry: dict) -> dict[str, str]:
    """Headers an index entry recorded, minus the ones whose values are notes rather than values."""
    return {
        k: v for k, v in entry.get("headers", {}).items() if "(" not in v and k.lower() != "content-length"
    }


def make_response(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> requests.Response:
    """A requests.Response as it arrives from the wire, for mapping tests that need no HTTP at all."""
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers = CaseInsensitiveDict(headers or {})
    response.reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 502: "Bad Gateway"}.get(status, "")
    return response
