"""Charters from files: every domain's written job description, loaded and validated.

A charter is a Markdown file with YAML front matter (CONTRACT §5); the models it becomes are in
`orchestrator.charters`. Every `*.md` file in the charters directory is a domain, except
`hub.md` (the cross-domain briefs), `README.md` and files whose name starts with `_` or `.`.
`load_charters` raises on a broken file with one line: ``<file>: <field>: <what is wrong>``
(and `(line N)` where the field is found); `scan_charters` keeps going and returns each broken
file's line beside the good ones, so a broken edit can be kept out while the last good version
runs (`domains.versions`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from orchestrator.charters import HUB, Charter, CharterSet, HubSpec

SHIPPED_DIR = Path(__file__).resolve().parent / "charters"
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)(.*)\Z", re.DOTALL)

_M = TypeVar("_M", bound=BaseModel)


class CharterError(Exception):
    """A charter file is broken; the message is one line: file, field, what is wrong."""


@dataclass
class Scan:
    """What a charters folder holds: the good charters, each broken file's error line (by
    domain), and the hub."""

    charters: dict[str, Charter]
    errors: dict[str, str]
    hub: HubSpec


def load_charters(directory: Path) -> CharterSet:
    """Load and validate every charter in `directory`; raise CharterError on the first fault."""
    files = charter_files(directory)
    charters = {p.stem: _load_charter(p) for p in files}
    if not charters:
        raise CharterError(f"{directory}: charters: no charter files (*.md) found")
    hub = load_hub(directory)
    for _owner, problem in _brief_problems(CharterSet(charters, hub)):
        raise CharterError(problem)
    return CharterSet(charters, hub)


def scan_charters(directory: Path) -> Scan:
    """Every charter file in `directory`, the broken ones kept aside with their error line."""
    charters: dict[str, Charter] = {}
    errors: dict[str, str] = {}
    for path in charter_files(directory):
        try:
            charters[path.stem] = _load_charter(path)
        except CharterError as exc:
            errors[path.stem] = str(exc)
    hub = load_hub(directory)
    for owner, problem in _brief_problems(CharterSet(charters, hub)):
        if owner in charters:
            errors.setdefault(owner, problem)
            del charters[owner]
    return Scan(charters, errors, hub)


def charter_files(directory: Path) -> list[Path]:
    """The domain charter files of a folder (not the hub), in name order."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CharterError(f"{directory}: directory: does not exist or is not a folder")
    return sorted(p for p in directory.glob("*.md") if _is_charter_file(p) and p.stem != HUB)


def load_hub(directory: Path) -> HubSpec:
    hub_path = Path(directory) / f"{HUB}.md"
    return _load_hub(hub_path if hub_path.exists() else SHIPPED_DIR / f"{HUB}.md")


def parse_charter(text: str, path: Path, *, name: str | None = None) -> Charter:
    """A charter from its text; `name` (default: the file's stem) is the domain it must be."""
    data, body = _split(text, path)
    name = name or path.stem
    if data.get("name", name) != name:
        raise CharterError(f"{path}: name: '{data['name']}' should equal the domain '{name}'")
    data = _with_owner(path, data, name)
    charter = _build(path, Charter, {**data, "body": body, "path": path}, text)
    if not any(entry.version == charter.version for entry in charter.changelog):
        line = line_of(text, ("changelog",))
        raise CharterError(
            f"{path}: changelog: has no entry for version {charter.version}{_at(line)}"
        )
    return charter


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "front matter"


def validation_message(path: Path, exc: ValidationError, text: str | None = None) -> str:
    """One line naming the file, the first failing field, what is wrong and (given the file's
    text) the line of the field."""
    err = exc.errors()[0]
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "is required but missing"
    elif err["type"] == "extra_forbidden":
        msg = "is not a known field"
    line = line_of(text, tuple(err["loc"])) if text else None
    return f"{path}: {_format_loc(tuple(err['loc']))}: {msg}{_at(line)}"


def _at(line: int | None) -> str:
    return f" (line {line})" if line else ""


def line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The file line of the deepest part of `loc` found in the front matter, if any."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    try:
        node = yaml.compose(match.group(1)) if match else None
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child[1], child[0].start_mark.line + 2  # +1: 1-based, +1: the '---' line
    return line


def _child(node: Any, part: Any) -> tuple[Any, Any] | None:
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if k.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


def _is_charter_file(path: Path) -> bool:
    return path.is_file() and path.name.lower() != "readme.md" and path.name[0] not in "_."


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CharterError(f"{path}: file: cannot be read ({exc.__class__.__name__})") from None


def _split(text: str, path: Path) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        raise CharterError(f"{path}: front matter: should start with '---' and end with '---'")
    try:
        data = yaml.load(match.group(1), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise CharterError(f"{path}: front matter: invalid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise CharterError(f"{path}: front matter: should be a mapping of fields")
    return data, match.group(2).strip()


def _with_owner(path: Path, data: dict[str, Any], owner: str) -> dict[str, Any]:
    briefs = data.get("briefs")
    if briefs is None:
        return data
    if not isinstance(briefs, list):
        raise CharterError(f"{path}: briefs: should be a list")
    fixed = []
    for i, brief in enumerate(briefs):
        if not isinstance(brief, dict):
            raise CharterError(f"{path}: briefs[{i}]: should be a mapping")
        if "owner" in brief and brief["owner"] != owner:
            raise CharterError(f"{path}: briefs[{i}].owner: is set by the loader; remove it")
        fixed.append({**brief, "owner": owner})
    return {**data, "briefs": fixed}


def _build(path: Path, model: type[_M], data: dict[str, Any], text: str | None = None) -> _M:
    try:
        return model(**data)
    except ValidationError as exc:
        raise CharterError(validation_message(path, exc, text)) from None


def _load_charter(path: Path) -> Charter:
    return parse_charter(read_text(path), path)


def _load_hub(path: Path) -> HubSpec:
    text = read_text(path)
    data, body = _split(text, path)
    if data.get("name", HUB) != HUB:
        raise CharterError(f"{path}: name: should be 'hub'")
    fields = {**_with_owner(path, data, HUB), "body": body, "path": path}
    return _build(path, HubSpec, fields, text)


def _brief_problems(charters: CharterSet) -> Iterator[tuple[str, str]]:
    """Cross-file checks, as (owner, error line): post_to names a known place and brief names
    are unique."""
    seen: dict[str, str] = {}
    sources = [("hub", charters.hub.briefs)] + [(n, c.briefs) for n, c in charters.charters.items()]
    for owner, briefs in sources:
        path = charters.charters[owner].path if owner in charters else charters.hub.path
        for i, brief in enumerate(briefs):
            if brief.post_to != HUB and brief.post_to not in charters:
                known = ", ".join(["hub", *charters.names()])
                yield (
                    owner,
                    (
                        f"{path}: briefs[{i}].post_to: unknown destination '{brief.post_to}' "
                        f"(known: {known})"
                    ),
                )
            elif brief.name in seen:
                yield (
                    owner,
                    (
                        f"{path}: briefs[{i}].name: '{brief.name}' is already a brief of {seen[brief.name]}"
                    ),
                )
            else:
                seen[brief.name] = owner
