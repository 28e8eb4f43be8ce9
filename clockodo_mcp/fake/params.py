"""Request parameters: bracket query strings and JSON/form bodies, read with Clockodo's validation rules."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from clockodo_mcp.fake.errors import ApiError, bad_request, typed_error

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(Z|[+-]\d{2}:\d{2})|"
    r" (\d{2}):(\d{2}):(\d{2}))$"
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def parse_query(items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest `filter[users_id]=5`, `grouping[]=a` and `filter[year][]=1` into dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in items:
        match = _KEY.match(key)
        if match is None:
            raise bad_request(f"Malformed parameter name {key!r}.", key)
        segments = [match.group(1), *_SEGMENT.findall(match.group(2))]
        _put(root, segments, value, key)
    return root


def _put(node: dict[str, Any], segments: list[str], value: str, key: str) -> None:
    head, rest = segments[0], segments[1:]
    if not rest:
        if head in node:
            existing = node[head]
            if isinstance(existing, dict):
                raise bad_request(f"Parameter {key!r} is both a value and an object.", key)
            # A repeated plain key (`users_id=1&users_id=2`) is read as a list.
            node[head] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            node[head] = value
        return
    if rest == [""] or (len(rest) == 1 and rest[0].isdigit()):
        existing = node.setdefault(head, [])
        if not isinstance(existing, list):
            existing = node[head] = [existing]
        existing.append(value)
        return
    child = node.setdefault(head, {})
    if not isinstance(child, dict):
        raise bad_request(f"Parameter {key!r} is both a value and an object.", key)
    _put(child, rest, value, key)


# Entries share their instants (a day's grid of start times across all users; insert = start): each instant is
# formatted once. Equal keys are the same instant, so they format alike.
@functools.lru_cache(maxsize=1 << 18)
def format_ts(value: datetime | None) -> str | None:
    """Clockodo's only wire format for timestamps: `YYYY-MM-DDTHH:MM:SSZ` in UTC."""
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat()[:19] + "Z"


def parse_ts(text: str) -> datetime | None:
    """`…Z`, `±HH:MM` offsets and `YYYY-MM-DD HH:MM:SS` (UTC); anything else → None."""
    match = _TIMESTAMP.match(text.strip())
    if match is None:
        return None
    g = match.groups()
    try:
        if g[3] is not None:
            zone = UTC if g[6] == "Z" else _offset(g[6])
            parsed = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[3]), int(g[4]), int(g[5]), tzinfo=zone)
        else:
            parsed = datetime(int(g[0]), int(g[1]), int(g[2]), int(g[7]), int(g[8]), int(g[9]), tzinfo=UTC)
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def _offset(text: str) -> timezone:
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(text: str) -> date | None:
    """`YYYY-MM-DD` → date; anything else → None."""
    match = _DATE.match(text.strip())
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


class Params:
    """Typed, validating access to one level of request parameters.

    `typed=False` refuses with 400 (query strings, v2 bodies); `typed=True` with Clockodo's 422 typed errors
    (`Empty`, `UnexpectedValue`, `NotBetween`) as v3/v4 create/update bodies do.
    """

    def __init__(self, data: Mapping[str, Any], *, typed: bool = False, prefix: str = "") -> None:
        self.data = data
        self.typed = typed
        self.prefix = prefix

    def _name(self, name: str) -> str:
        return f"{self.prefix}[{name}]" if self.prefix else name

    def _fail(self, name: str, message: str, kind: str = "UnexpectedValue", details: Any = None) -> ApiError:
        path = self._name(name)
        if self.typed:
            return typed_error(kind, f"{path}: {message}", path, details)
        return bad_request(f"{path}: {message}", path)

    def has(self, name: str) -> bool:
        """Present, even if null."""
        return name in self.data

    def given(self, name: str) -> bool:
        """Present and neither null nor an empty string."""
        value = self.data.get(name)
        return value is not None and value != ""

    def raw(self, name: str) -> Any:
        """The unconverted value."""
        return self.data.get(name)

    def missing(self, name: str) -> ApiError:
        """The refusal for a required parameter that was not sent."""
        return self._fail(name, "is required and cannot be empty.", "Empty")

    def present(self, name: str, *, required: bool = False) -> Any:
        """The raw value, or None when absent or empty (a refusal when `required`)."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise self.missing(name)
            return None
        return value

    def sub(self, name: str) -> Params:
        """A nested object such as `filter` (absent → empty)."""
        value = self.data.get(name)
        if value is None or value == "":
            return Params({}, typed=self.typed, prefix=self._name(name))
        if not isinstance(value, Mapping):
            raise self._fail(name, "must be an object.")
        return Params(value, typed=self.typed, prefix=self._name(name))

    def integer(
        self, name: str, *, required: bool = False, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """An integer (JSON number or decimal string)."""
        value = self.present(name, required=required)
        if value is None:
            return None
        result = self._to_int(name, value)
        self._check_range(name, result, minimum, maximum)
        return result

    def req_int(self, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """A required integer."""
        value = self.integer(name, required=True, minimum=minimum, maximum=maximum)
        assert value is not None
        return value

    def _to_int(self, name: str, value: Any) -> int:
        if isinstance(value, bool):
            raise self._fail(name, "must be an integer.")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,15}", value.strip()):
            return int(value.strip())
        raise self._fail(name, "must be an integer.")

    def _check_range(self, name: str, value: float, minimum: float | None, maximum: float | None) -> None:
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            details = {"min": minimum, "max": maximum, "inclusive": True}
            raise self._fail(name, f"must be between {minimum} and {maximum}.", "NotBetween", details)

    def number(
        self, name: str, *, required: bool = False, minimum: float | None = None, maximum: float | None = None
    ) -> float | None:
        """A finite number."""
        value = self.present(name, required=required)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._fail(name, "must be a number.")
        if isinstance(value, int | float):
            result = float(value)
        elif isinstance(value, str):
            try:
                result = float(value.strip())
            except ValueError:
                raise self._fail(name, "must be a number.") from None
        else:
            raise self._fail(name, "must be a number.")
        if not math.isfinite(result):
            raise self._fail(name, "must be a number.")
        self._check_range(name, result, minimum, maximum)
        return result

    def boolean(self, name: str, *, required: bool = False) -> bool | None:
        """`true/false/1/0` (or JSON booleans)."""
        value = self.present(name, required=required)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise self._fail(name, "must be a boolean (true/false).", details={"expected_values": [True, False]})

    def string(self, name: str, *, required: bool = False, max_length: int | None = None) -> str | None:
        """A string (numbers are refused, as they are not text)."""
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.missing(name)
            return None
        if not isinstance(value, str):
            raise self._fail(name, "must be a string.")
        if required and not value.strip():
            raise self.missing(name)
        if max_length is not None and len(value) > max_length:
            raise self._fail(name, f"must be at most {max_length} characters long.")
        return value

    def timestamp(self, name: str, *, required: bool = False) -> datetime | None:
        """A timestamp in one of the accepted forms (see `parse_ts`)."""
        value = self.present(name, required=required)
        if value is None:
            return None
        parsed = parse_ts(value) if isinstance(value, str) else None
        if parsed is None:
            raise self._fail(name, "must be a UTC timestamp like 2026-01-31T12:00:00Z.")
        return parsed

    def req_datetime(self, name: str) -> datetime:
        """A required timestamp."""
        value = self.timestamp(name, required=True)
        assert value is not None
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        """A calendar date `YYYY-MM-DD`."""
        value = self.present(name, required=required)
        if value is None:
            return None
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise self._fail(name, "must be a date like 2026-01-31.")
        return parsed

    def int_list(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None, max_items: int = 500
    ) -> list[int] | None:
        """Ids as a list (`key[]=1&key[]=2`), a single value or a comma-separated string."""
        value = self.present(name)
        if value is None:
            return None
        raw: Sequence[Any]
        if isinstance(value, list):
            raw = value
        elif isinstance(value, str):
            raw = [part for part in value.split(",") if part.strip()]
        else:
            raw = [value]
        if len(raw) > max_items:
            raise self._fail(name, f"may contain at most {max_items} values.")
        result = [self._to_int(name, item) for item in raw]
        for item in result:
            self._check_range(name, item, minimum, maximum)
        return result

    def choice(self, name: str, allowed: Sequence[int], *, required: bool = False) -> int | None:
        """An integer from a fixed set (billable, status, type…)."""
        value = self.integer(name, required=required)
        if value is not None and value not in allowed:
            details = {"expected_values": list(allowed)}
            raise self._fail(name, f"must be one of {', '.join(map(str, allowed))}.", details=details)
        return value

    def str_choice(self, name: str, allowed: Sequence[str], *, required: bool = False) -> str | None:
        """A string from a fixed set."""
        value = self.string(name, required=required)
        if value is not None and value not in allowed:
            details = {"expected_values": list(allowed)}
            raise self._fail(name, f"must be one of {', '.join(allowed)}.", details=details)
        return value

    def str_list(self, name: str) -> list[str] | None:
        """Strings as a list or a comma-separated string."""
        value = self.present(name)
        if value is None:
            return None
        items = value if isinstance(value, list) else str(value).split(",")
        if not all(isinstance(item, str) for item in items):
            raise self._fail(name, "must be a list of strings.")
        return [item.strip() for item in items if item.strip()]
