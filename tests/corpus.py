"""Access to ../shared/telegrams (the corpus): visible skip when it is absent, a failure in CI."""

from __future__ import annotations

import json
from functools import cache

import pytest

from tests.conftest import CORPUS


@cache
def corpus_manifest() -> list[dict]:
    path = CORPUS / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else []


def corpus_entries(predicate=lambda entry: True) -> list:
    """pytest params, one per corpus entry; a single visibly skipped param when the corpus is absent."""
    entries = [entry for entry in corpus_manifest() if predicate(entry)]
    if not entries:
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"{CORPUS} not found: corpus tests skipped"))
        ]
    return [pytest.param(entry, id=entry["file"]) for entry in entries]


def corpus_bytes(entry: dict) -> bytes:
    return (CORPUS / entry["file"]).read_bytes()
