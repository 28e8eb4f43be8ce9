"""The last line of defence on answer size: no answer grows past what a client can hold.

Every list tool has a hard cap on `limit` that keeps its answer well under budget; this guard is for what the caps
cannot foresee (long entry texts, a huge invoice). It never fails a call: a paged list is cut to the rows that fit,
with the exact next-page hint; anything else loses list items (and, last, long strings) with a note in the summary.

The client receives an answer twice (the JSON text for clients that read `content`, and `structuredContent`), so
one copy gets half of Claude Code's default limit of 25,000 tokens. Tokens are estimated without a tokenizer, from
the UTF-8 size, pessimistically (our JSON averages about 3.5 bytes per cl100k token; digits and punctuation are
denser, so the estimate assumes 2.5, and every non-ASCII character counts as a token of its own on top).
"""

from __future__ import annotations

import json
from typing import Any

from clockodo_mcp.server.models import ListOutput, Paging, ToolOutput

MAX_COPY_TOKENS = 12_000
_BYTES_PER_TOKEN = 2.5
_MAX_ROUNDS = 200


def serialize(data: Any) -> str:
    """The answer's JSON text, as compact as JSON gets."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def estimate_tokens(text: str) -> int:
    """A pessimistic estimate of cl100k tokens in `text`."""
    utf8 = len(text.encode("utf-8"))
    non_ascii = utf8 - len(text.encode("ascii", "ignore"))
    return int(utf8 / _BYTES_PER_TOKEN) + non_ascii + 1


def fits(data: Any, budget: int = MAX_COPY_TOKENS) -> bool:
    """Whether one copy of `data` stays within `budget` tokens (estimated)."""
    return estimate_tokens(serialize(data)) <= budget


def bounded(value: ToolOutput, budget: int = MAX_COPY_TOKENS) -> dict[str, Any]:
    """The structured answer, cut down to `budget` if it is larger (rarely: the per-tool caps come first)."""
    data: dict[str, Any] = value.model_dump(mode="json", by_alias=True)
    if fits(data, budget):
        return data
    if isinstance(value, ListOutput):
        data = _fewer_rows(value, budget)
        if fits(data, budget):
            return data
    return _shrink(data, budget)


def _fewer_rows(value: ListOutput, budget: int) -> dict[str, Any]:
    """The most leading rows that fit, with `paging` (and the summary's paging sentence) saying where to go on."""
    rows: list[Any] = list(getattr(value, value.rows_field))
    old = value.paging

    def cut(keep: int) -> dict[str, Any]:
        end = old.offset + keep
        paging = Paging(
            total=old.total, offset=old.offset, returned=keep, next={"offset": end} if end < old.total else None
        )
        note = (
            f" Only {keep} of the {len(rows)} rows asked for fit the answer size limit; "
            f"the rest follow from offset {end}."
        )
        before, after = old.sentence(), paging.sentence()
        summary = value.summary.replace(before, after) if before and before in value.summary else value.summary
        copy = value.model_copy(update={value.rows_field: rows[:keep], "paging": paging, "summary": summary + note})
        dumped: dict[str, Any] = copy.model_dump(mode="json", by_alias=True)
        return dumped

    low, high = 0, len(rows) - 1  # the whole list is known not to fit
    while low < high:
        middle = (low + high + 1) // 2
        if fits(cut(middle), budget):
            low = middle
        else:
            high = middle - 1
    return cut(low)


def _shrink(data: dict[str, Any], budget: int) -> dict[str, Any]:
    """Halve the largest list (then the longest string) until the answer fits; say so in the summary."""
    dropped = cut_strings = 0
    note = " [Cut to fit the answer size limit: {} list item(s) and {} long text(s) shortened.]"
    for _ in range(_MAX_ROUNDS):
        if fits(data, budget - estimate_tokens(note) - 8):
            break
        largest = _largest(data, list)
        if largest is not None:
            parent, key = largest
            items = parent[key]
            keep = len(items) // 2
            dropped += len(items) - keep
            parent[key] = items[:keep]
            continue
        longest = _largest(data, str)
        if longest is None:
            break
        parent, key = longest
        parent[key] = parent[key][: len(parent[key]) // 2] + "…"
        cut_strings += 1
    data["summary"] = str(data.get("summary", "")) + note.format(dropped, cut_strings)
    return data


def _largest(data: Any, kind: type) -> tuple[Any, Any] | None:
    """(container, key) of the largest non-empty list, or of the longest string over 200 characters."""
    best: tuple[int, Any, Any] | None = None
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            if isinstance(child, dict | list):
                stack.append(child)
            if kind is list and isinstance(child, list) and child:
                size = len(serialize(child))
            elif kind is str and isinstance(child, str) and len(child) > 200 and key != "summary":
                size = len(child)
            else:
                continue
            if best is None or size > best[0]:
                best = (size, node, key)
    return None if best is None else (best[1], best[2])
