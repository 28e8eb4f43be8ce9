"""The last line of defence on answer size: no answer grows past what a client can hold.

Every list tool has a hard cap on `limit` that keeps its answer well under budget; this guard is for what the caps
cannot foresee (long entry texts, a huge invoice). It never fails a call: a paged list is cut to the rows that fit,
with the exact next-page hint; anything else loses list items (and, last, long strings) with a note in the summary.

The client receives an answer twice (the JSON text for clients that read `content`, and `structuredContent`), so
one copy gets half of Claude Code's default limit of 25,000 tokens; a model reads one of the two copies.

Tokens are estimated without a tokenizer, by splitting the text the way cl100k pre-tokenizes it: every group of up
to three digits is a token, a run of punctuation half its length, a word one (more if long), a run of consonants or
mixed case (ids, keys) four fifths of its letters, and each non-ASCII character adds its extra UTF-8 bytes. That is
20–30 % above the real count for our answers and at or above it for digits, ids, umlauts, CJK and emoji
(tests/server/test_bounds.py); a byte-size floor covers anything else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from clockodo_mcp.server.models import ListOutput, Paging, ToolOutput

MAX_COPY_TOKENS = 12_000
_BYTES_PER_TOKEN = 3.2  # the floor: plain JSON averages about 3.5 bytes per token
_MAX_ROUNDS = 200
_PIECES = re.compile(r"\d{1,3}|[^\W\d_]+|[^\w\s]+|\s+|_+")
_VOWELS = frozenset("aeiouyAEIOUY")


def serialize(data: Any) -> str:
    """The answer's JSON text, as compact as JSON gets."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def estimate_tokens(text: str) -> int:
    """A pessimistic estimate of the cl100k tokens in `text` (see the module docstring)."""
    count = 0
    for match in _PIECES.finditer(text):
        piece = match.group()
        first = piece[0]
        if first.isdigit():
            count += 1
        elif first.isspace():
            count += 0 if piece == " " else 1  # a single space joins the next word's token
        elif first.isalpha() or first == "_":
            count += _word_tokens(piece)
        else:
            count += (len(piece) + 1) // 2
        if not piece.isascii():
            count += sum(len(char.encode("utf-8")) - 1 for char in piece if not char.isascii())
    return max(count, int(len(text.encode("utf-8")) / _BYTES_PER_TOKEN)) + 1


def _word_tokens(word: str) -> int:
    """A word is one token (plus one per two letters beyond six); ids and consonant runs four per five letters."""
    ascii_letters = [char for char in word if char.isascii()]
    vowels = sum(char in _VOWELS for char in ascii_letters) + (len(word) - len(ascii_letters))
    odd = any(char.isupper() for char in word[1:]) or (len(word) > 3 and vowels * 4 < len(word))
    return (4 * len(word) + 4) // 5 if odd else 1 + max(0, len(word) - 6) // 2


def fits(data: Any, budget: int = MAX_COPY_TOKENS) -> bool:
    """Whether one copy of `data` stays within `budget` tokens (estimated)."""
    text = serialize(data)
    size = len(text.encode("utf-8"))
    if size + 1 <= budget:
        return True  # the estimate never exceeds one token per byte, plus one: no need to count (most answers)
    return estimate_tokens(text) <= budget


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
    """Halve the largest list, map of many items or long text until the answer fits; say so in the summary."""
    dropped = cut_texts = 0
    note = " [Cut to fit the answer size limit: {} list item(s) left out, {} long text(s) shortened.]"
    for _ in range(_MAX_ROUNDS):
        if fits(data, budget - estimate_tokens(note) - 8):
            break
        largest = _largest(data)
        if largest is None:
            break
        parent, key = largest
        value = parent[key]
        if isinstance(value, str):
            parent[key] = value[: len(value) // 2] + "…"
            cut_texts += 1
            continue
        keep = len(value) // 2
        dropped += len(value) - keep
        parent[key] = value[:keep] if isinstance(value, list) else dict(list(value.items())[:keep])
    data["summary"] = str(data.get("summary", "")) + note.format(dropped, cut_texts)
    return data


def _largest(data: Any) -> tuple[Any, Any] | None:
    """(container, key) of the largest thing that can shrink: a non-empty list, a map of over 20 items (a record
    has fewer fields) or a text over 200 characters (never the summary)."""
    best: tuple[int, Any, Any] | None = None
    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in children:
            if isinstance(child, dict | list):
                stack.append(child)
            if (isinstance(child, list) and child) or (isinstance(child, dict) and len(child) > 20):
                size = len(serialize(child))
            elif isinstance(child, str) and len(child) > 200 and not (node is data and key == "summary"):
                size = len(child)
            else:
                continue
            if best is None or size > best[0]:
                best = (size, node, key)
    return None if best is None else (best[1], best[2])
