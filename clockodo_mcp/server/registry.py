"""The tool inventory: every tool declared once (`@tool`), with a typed toolset and its four annotations.

Serving, read-only mode, toolset filtering, the generated instructions (server/instructions.py), the README tables
(server/docs.py) and the surface snapshot all iterate this one registry; the modules that declare tools are listed
once, in server/tools/__init__.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args

from mcp.types import ToolAnnotations

ToolFn = Callable[..., Awaitable[Any]]
F = TypeVar("F", bound=ToolFn)
Toolset = Literal["core", "time", "billing", "projects", "people", "warehouse"]
TOOLSETS: tuple[Toolset, ...] = get_args(Toolset)  # core is always served
# Served unless the toolsets are chosen: warehouse only where a mirror is configured (CLOCKODO_MCP_MIRROR).
DEFAULT_TOOLSETS: tuple[Toolset, ...] = tuple(t for t in TOOLSETS if t != "warehouse")


def toolsets_of(names: Iterable[str]) -> frozenset[Toolset]:
    """Toolset names, checked: `ValueError` naming the unknown ones and the choices."""
    chosen = set(names)
    unknown = sorted(chosen - set(TOOLSETS))
    if unknown:
        raise ValueError(f"Unknown toolset(s): {', '.join(unknown)}. Choose from: {', '.join(TOOLSETS)}")
    return frozenset(t for t in TOOLSETS if t in chosen)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool and what it promises: the MCP annotations are derived from these fields, never hand-written."""

    fn: ToolFn
    name: str
    title: str
    toolset: Toolset
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
    toolset: Toolset,
    read_only: bool,
    destructive: bool,
    idempotent: bool,
    open_world: bool = True,
) -> Callable[[F], F]:
    """Register a tool function; every annotation must be stated explicitly, the toolset must be a known one."""

    def register(fn: F) -> F:
        name = fn.__name__
        if name in REGISTRY:
            raise ValueError(f"Tool {name!r} is registered twice")
        if toolset not in TOOLSETS:  # mypy checks the literal; this catches a name built at run time
            raise ValueError(f"Tool {name!r} has an unknown toolset {toolset!r}; choose from: {', '.join(TOOLSETS)}")
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


def selected_tools(*, read_only: bool, toolsets: Iterable[str] = TOOLSETS) -> list[ToolSpec]:
    """The tools to expose: read-only mode keeps only read-only tools; toolsets (checked) filter by area."""
    import clockodo_mcp.server.tools  # noqa: F401  (registers every tool)

    chosen = toolsets_of(toolsets)
    specs = [spec for spec in REGISTRY.values() if spec.toolset in chosen]
    if read_only:
        specs = [spec for spec in specs if spec.read_only]
    return sorted(specs, key=lambda spec: spec.name)
