"""What a feature adds to the system, declared as data.

A feature (the inbox, approvals, briefs, status docs, the agents' spend…) is one `Feature`: the
chat commands it answers, the buttons it handles, the dashboard sections it shows and the files
it adds to `parallelos export`. Nothing registers itself: the composition root
(`parallelos.wiring`) builds one `Features` list, and the pipeline, the dashboard and the export
all read that same list, so a feature cannot be in one and missing from another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from orchestrator.canonical import Post

if TYPE_CHECKING:
    from orchestrator.context import Context
    from orchestrator.router import RouteDecision

__all__ = [
    "ActionFn",
    "CommandFn",
    "ExportFn",
    "Feature",
    "Features",
    "HubFn",
    "ObserveFn",
    "ViewFn",
]

CommandFn = Callable[["Context", list[str]], Post]  # `/pos <name> args…` → the answer
ActionFn = Callable[["Context", str], None]  # a button's value → changes in the context
ViewFn = Callable[[Session], Any]  # a dashboard section: JSON-ready data
ExportFn = Callable[[Session], Mapping[str, str]]  # files for `export`: relative path → text
# A live message the pipeline placed: its domain (None: unplaced) and the router's decision
# (None: it was written in the domain's own channel). Observers record; they never post.
# A question about the whole system (the router's hub decision) → the hub's answer.
HubFn = Callable[["Context"], Post]
ObserveFn = Callable[["Context", "str | None", "RouteDecision | None"], None]


@dataclass(frozen=True)
class Feature:
    name: str
    commands: Mapping[str, CommandFn] = field(default_factory=dict)
    actions: Mapping[str, ActionFn] = field(default_factory=dict)
    views: Mapping[str, ViewFn] = field(default_factory=dict)
    exports: tuple[ExportFn, ...] = ()
    observers: tuple[ObserveFn, ...] = ()
    hub: HubFn | None = None  # answers whole-system questions ("what should I focus on?")


class Features:
    """The system's features, in order; each name (command, action, view) belongs to one."""

    def __init__(self, items: Iterable[Feature]) -> None:
        self.items = tuple(items)
        self.commands = self._merged("commands")
        self.actions = self._merged("actions")
        self.views = self._merged("views")

    def _merged(self, part: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for feature in self.items:
            for name, fn in getattr(feature, part).items():
                if name in merged:
                    raise ValueError(f"{part[:-1]} '{name}' of {feature.name} is {owner[name]}'s")
                merged[name], owner[name] = fn, feature.name
        return merged

    @property
    def exports(self) -> list[ExportFn]:
        return [fn for feature in self.items for fn in feature.exports]

    @property
    def observers(self) -> list[ObserveFn]:
        return [fn for feature in self.items for fn in feature.observers]

    @property
    def hub(self) -> HubFn | None:
        """The first feature's answer to whole-system questions, if any feature gives one."""
        return next((f.hub for f in self.items if f.hub is not None), None)

    def names(self) -> list[str]:
        return [feature.name for feature in self.items]
