"""The last-resort size guard: any answer fits, a paged list keeps an exact next hint, nothing fails."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from clockodo_mcp.server.bounds import MAX_COPY_TOKENS, bounded, estimate_tokens, serialize
from clockodo_mcp.server.gate import WriteOut
from clockodo_mcp.server.models import ListOutput, Paging
from clockodo_mcp.server.tools.common import page_of
from tests.server.sizing import MAX_BUDGET, tokens

# Texts that tokenize densely: digits and punctuation, umlauts, CJK, emoji, random-looking ids.
DENSE = [
    "1,2,3,4,5,6,7,8,9,0;" * 60,
    "Überprüfung der Änderungen für Müller & Söhne " * 25,
    "会议记录和项目计划" * 120,
    "🚀✅🔥" * 300,
    "a1b2c3d4e5f6g7h8i9j0" * 60,
]


class Row(ListOutput):
    rows_field: ClassVar[str] = "rows"
    rows: list[dict[str, Any]]


def rows_output(text: str, count: int, offset: int = 0) -> Row:
    items = [{"id": i, "text": text} for i in range(2 * count)]
    shown, paging = page_of(items, offset, count)
    return Row(summary="Rows." + paging.sentence(), paging=paging, rows=shown)


@pytest.mark.parametrize("text", DENSE, ids=["digits", "umlauts", "cjk", "emoji", "ids"])
def test_the_estimate_never_undercounts_dense_text(text):
    data = {"rows": [{"id": i, "text": text} for i in range(20)]}
    assert estimate_tokens(serialize(data)) >= tokens(serialize(data))


@pytest.mark.parametrize("text", [*DENSE, "x", "", " ", "a  b\n\t_c", "Ab" * 9], ids=str)
def test_the_estimate_is_never_above_one_token_per_byte_plus_one_so_small_answers_skip_counting(text):
    assert estimate_tokens(text) <= len(text.encode("utf-8")) + 1


@pytest.mark.parametrize("text", DENSE, ids=["digits", "umlauts", "cjk", "emoji", "ids"])
def test_a_list_too_large_is_cut_to_the_rows_that_fit_with_the_exact_next_offset(text):
    output = rows_output(text, 100, offset=40)

    data = bounded(output)

    kept = len(data["rows"])
    assert 0 < kept < 100
    assert tokens(serialize(data)) <= MAX_COPY_TOKENS <= MAX_BUDGET // 2, "both copies fit in 25,000 tokens"
    assert data["rows"] == output.rows[:kept]
    assert data["paging"] == {"total": 200, "offset": 40, "returned": kept, "next": {"offset": 40 + kept}}
    assert data["summary"].startswith(f"Rows. Showing 41–{40 + kept} of 200; next: offset {40 + kept}.")
    assert "fit the answer size limit" in data["summary"]
    assert fits_one_more_would_not(output, kept)


def fits_one_more_would_not(output: Row, kept: int) -> bool:
    """The cut keeps as many rows as fit: one more would not."""
    more = output.model_copy(update={"rows": output.rows[: kept + 1]})
    return estimate_tokens(serialize(more.model_dump(mode="json"))) > MAX_COPY_TOKENS - 100


def test_an_answer_within_budget_is_untouched():
    output = rows_output("short", 10)
    assert bounded(output) == output.model_dump(mode="json", by_alias=True)


def test_any_other_answer_loses_list_items_and_long_texts_but_keeps_its_shape():
    preview = {
        "invoice": {"lines": [{"project": "Phoenix", "hours": 1.25 * i} for i in range(20_000)]},
        "entries": {str(i): 95.0 for i in range(20_000)},
        "note": "x" * 200_000,
    }
    output = WriteOut(summary="PREVIEW.", status="preview", preview=preview, confirm_token="t")

    data = bounded(output)

    assert tokens(serialize(data)) <= MAX_COPY_TOKENS
    assert set(data) == set(output.model_dump(mode="json"))
    assert data["preview"]["invoice"]["lines"][0] == {"project": "Phoenix", "hours": 0.0}
    assert data["summary"].startswith("PREVIEW. [Cut to fit the answer size limit:")
    WriteOut.model_validate(data)  # still the published shape


def test_paging_sentences():
    assert Paging(total=5, offset=0, returned=5, next=None).sentence() == ""
    assert Paging(total=73, offset=20, returned=20, next={"offset": 40}).sentence() == (
        " Showing 21–40 of 73; next: offset 40."
    )
    assert Paging(total=73, offset=60, returned=13, next=None).sentence() == " Showing 61–73 of 73."
