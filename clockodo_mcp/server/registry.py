"""The tool registry: every tool with its toolset and its four annotations, from which read-only mode derives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mcp.types import ToolAnnotations

ToolFn = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=ToolFn)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool and what it promises: the MCP annotations are derived from these fields, never hand-written."""

    fn: ToolFn
    name: str
    title: str
    toolset: str
    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool

    @property
    def annotations(self) -> ToolAnnotations:
        """All four hints, always set."""
        return ToolAnnotations(
            title=self.title,
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world,
        )

    @property
    def description(self) -> str:
        """The docstring, which is written for the model."""
        doc = self.fn.__doc__ or ""
        return "\n".join(line.strip() for line in doc.strip().splitlines()).strip()


REGISTRY: dict[str, ToolSpec] = {}


def tool(
    *,
    title: str,
    toolset: str,
    read_only: bool,
    destructive: bool,
    idempotent: bool,
    open_world: bool = True,
) -> Callable[[F], F]:
    """Register a tool function; every annotation must be stated explicitly."""

    def register(fn: F) -> F:
        name = fn.__name__
        if name in REGISTRY:
            raise ValueError(f"Tool {name!r} is registered twice")
        if read_only and destructive:
            raise ValueError(f"Tool {name!r} cannot be read-only and destructive")
        if not fn.__doc__:
            raise ValueError(f"Tool {name!r} needs a docstring: it is the description the model reads")
        REGISTRY[name] = ToolSpec(
            fn=fn,
            name=name,
            title=title,
            toolset=toolset,
            read_only=read_only,
            destructive=destructive,
            idempotent=idempotent,
            open_world=open_world,
        )
        return fn

    return register


def selected_tools(*, read_only: bool, toolsets: frozenset[str]) -> list[ToolSpec]:
    """The tools to expose: read-only mode keeps only read-only tools; toolsets filter by area."""
    import clockodo_mcp.server.tools  # noqa: F401  (registers every tool)

    specs = [spec for spec in REGISTRY.values() if spec.toolset in toolsets]
    if read_only:
        specs = [spec for spec in specs if spec.read_only]
    return sorted(specs, key=lambda spec: spec.name)
