"""The compact schemas tools/list publishes accept exactly what the full schemas accept."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from clockodo_mcp.server.app import build_server
from clockodo_mcp.server.schemas import compact_schema, published_schema

PROBES: list[Any] = [
    None,
    True,
    0,
    -1,
    7,
    1.5,
    10**9,
    "",
    "x",
    "Phoenix",
    "2026-11-24",
    "a" * 300,
    "a" * 201,
    2**63,
    "not_billable",
    "billed",
    [],
    ["project"],
    ["project", "user"],
    [1, 2],
    {},
    {"from": "2026-11-01", "to": "2026-11-30"},
    {"from": "2026-11-01"},
]


def verdict(schema: dict[str, Any], instance: Any) -> bool:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return validator.is_valid(instance)


def test_titles_go_and_any_of_plain_types_becomes_a_type_list():
    schema = {
        "title": "Args",
        "type": "object",
        "properties": {
            "title": {"anyOf": [{"maxLength": 9, "type": "string"}, {"type": "null"}], "default": None, "title": "T"},
            "kind": {"anyOf": [{"enum": ["a"], "type": "string"}, {"type": "null"}], "title": "Kind"},
        },
    }
    assert compact_schema(schema) == {
        "type": "object",
        "properties": {
            "title": {"type": ["string", "null"], "maxLength": 9},
            "kind": {"enum": ["a", None]},  # null stays allowed
        },
    }


def test_type_specific_constraints_of_several_branches_sit_beside_one_type_list():
    name_or_id = {"anyOf": [{"type": "string", "maxLength": 200}, {"type": "integer", "minimum": 1}, {"type": "null"}]}

    assert compact_schema(name_or_id) == {"type": ["string", "integer", "null"], "maxLength": 200, "minimum": 1}


@pytest.mark.parametrize(
    "schema",
    [
        {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "number", "maximum": 5}]},  # both read minimum/maximum
        {"anyOf": [{"type": "string", "minimum": 1}, {"type": "integer", "maxLength": 3}]},  # each other's keywords
        {"anyOf": [{"enum": [1, 2], "type": "integer"}, {"type": "null"}]},
    ],
)
def test_branches_whose_constraints_would_cross_types_are_kept(schema):
    assert compact_schema(schema) == schema


async def test_every_compact_input_and_output_schema_accepts_the_same_values(runtime):
    server = build_server(runtime)
    compared = 0
    for tool in await super(type(server), server).list_tools():  # the SDK's own, uncompacted schemas
        for full in (tool.input_schema, tool.output_schema or {}):
            small = published_schema(full)
            for name, prop in (full.get("properties") or {}).items():
                small_prop = small["properties"][name]
                one = {**prop, "$defs": full.get("$defs", {})}  # the property alone, with what it refers to
                one_small = {**small_prop, "$defs": small.get("$defs", {})}
                for probe in PROBES:
                    assert verdict(one, probe) == verdict(one_small, probe), (tool.name, name, probe)
                    compared += 1
                assert "title" not in small_prop, (tool.name, name)
            assert len(str(small)) <= len(str(full)), tool.name
    assert compared > 3000


@pytest.mark.parametrize("schema", [{"anyOf": [{"type": "string"}, {"type": "string", "maxLength": 3}]}, {"anyOf": []}])
def test_branches_that_cannot_merge_are_kept(schema):
    assert compact_schema(schema) == schema


def test_a_definition_used_once_is_written_in_place_and_a_shared_one_stays_shared():
    schema = {
        "$defs": {
            "Money": {"type": "object", "properties": {"amount": {"type": "number"}}},
            "Row": {"type": "object", "properties": {"value": {"$ref": "#/$defs/Money"}}},
        },
        "type": "object",
        "properties": {
            "rows": {"type": "array", "items": {"$ref": "#/$defs/Row"}},
            "total": {"$ref": "#/$defs/Money", "description": "Over all rows."},
        },
    }
    assert published_schema(schema) == {
        "$defs": {"Money": {"type": "object", "properties": {"amount": {"type": "number"}}}},
        "type": "object",
        "properties": {
            "rows": {"type": "array", "items": {"type": "object", "properties": {"value": {"$ref": "#/$defs/Money"}}}},
            "total": {"$ref": "#/$defs/Money", "description": "Over all rows."},
        },
    }


def test_a_definition_on_a_cycle_is_never_inlined_even_when_used_once():
    person = {"type": "object", "properties": {"team": {"$ref": "#/$defs/Team"}}}
    team = {"type": "object", "properties": {"lead": {"$ref": "#/$defs/Person"}}}  # used once, but on a cycle
    schema = {
        "$defs": {"Person": person, "Team": team},
        "type": "object",
        "properties": {"me": {"$ref": "#/$defs/Person"}},
    }
    assert published_schema(schema) == schema


def test_a_nullable_definition_used_once_becomes_one_object_or_null():
    schema = {
        "$defs": {"Budget": {"type": "object", "properties": {"hours": {"type": "number"}}, "required": ["hours"]}},
        "type": "object",
        "properties": {"budget": {"anyOf": [{"$ref": "#/$defs/Budget"}, {"type": "null"}]}},
    }
    budget = published_schema(schema)["properties"]["budget"]
    assert budget == {"type": ["object", "null"], "properties": {"hours": {"type": "number"}}, "required": ["hours"]}
    for probe in (None, {"hours": 1.5}, {}, {"hours": "x"}, 3):
        assert verdict({**schema["properties"]["budget"], "$defs": schema["$defs"]}, probe) == verdict(budget, probe)
