"""Entries kept as JSON bytes between page reads: a sync re-reads the same `/v2/entries` pages on every run.

A kept entry is served again only while everything it was rendered from is unchanged. Its own fields are compared
on every read, so an edit by any path (the API, the clock, an entry-group edit, a test assigning a field) renders it
anew. The view it was rendered for is the cache key: the caller's rights, the request's flags and the master data
the view embeds (names, hard-budget projects, lump-sum prices), so a renamed project or a changed budget starts a
fresh cache. Running time entries are never kept: their duration and revenue grow with the clock.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from clockodo_mcp.fake.dataset import EntryRecord

# Every field of the record: a new field is part of the comparison without anyone remembering to add it.
_snapshot = operator.attrgetter(*(f.name for f in dataclasses.fields(EntryRecord)))
# The same bytes as Starlette's JSONResponse writes.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
# Views kept at once (owner, enhanced, …); the least recently used is dropped first.
MAX_VIEWS = 4


def encode_json(value: object) -> bytes:
    """`value` as JSONResponse would encode it."""
    return _ENCODER.encode(value).encode("utf-8")


class RenderedEntries:
    """Per view, entry id → (the entry's fields when rendered, its JSON bytes)."""

    def __init__(self) -> None:
        self._views: OrderedDict[Hashable, dict[int, tuple[tuple[Any, ...], bytes]]] = OrderedDict()

    def encode(
        self, view_key: Hashable, render: Callable[[EntryRecord], dict[str, Any]], entries: Sequence[EntryRecord]
    ) -> list[bytes]:
        """The JSON bytes of each entry as `render` gives it, reusing what this view rendered before."""
        kept = self._views.get(view_key)
        if kept is None:
            kept = self._views[view_key] = {}
            while len(self._views) > MAX_VIEWS:
                self._views.popitem(last=False)
        else:
            self._views.move_to_end(view_key)
        parts: list[bytes] = []
        append = parts.append
        for entry in entries:
            fields = _snapshot(entry)
            found = kept.get(entry.id)
            if found is not None and found[0] == fields:
                append(found[1])
                continue
            body = encode_json(render(entry))
            if entry.type != 1 or entry.time_until is not None:
                kept[entry.id] = (fields, body)
            else:
                kept.pop(entry.id, None)
            append(body)
        return parts

    def forget(self, entry_id: int) -> None:
        """Drop a deleted entry (only to free memory: a kept entry is checked on every read anyway)."""
        for kept in self._views.values():
            kept.pop(entry_id, None)
