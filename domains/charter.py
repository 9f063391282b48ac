"""Charters from files: every domain's written job description, loaded and validated.

A charter is a Markdown file with YAML front matter (CONTRACT §5); the models it becomes are in
`orchestrator.charters`. Every `*.md` file in the charters directory is a domain, except
`hub.md` (the cross-domain briefs), `README.md` and files whose name starts with `_` or `.`. A
broken file stops start-up with one line: ``<file>: <field>: <what is wrong>``.
"""

from __future__ import annotations

import re
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


def load_charters(directory: Path) -> CharterSet:
    """Load and validate every charter in `directory`; raise CharterError on the first fault."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CharterError(f"{directory}: directory: does not exist or is not a folder")
    files = sorted(p for p in directory.glob("*.md") if _is_charter_file(p))
    charters = {p.stem: _load_charter(p) for p in files if p.stem != HUB}
    if not charters:
        raise CharterError(f"{directory}: charters: no charter files (*.md) found")
    hub_path = directory / f"{HUB}.md"
    hub = _load_hub(hub_path if hub_path.exists() else SHIPPED_DIR / f"{HUB}.md")
    _check_briefs(CharterSet(charters, hub))
    return CharterSet(charters, hub)


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "front matter"


def validation_message(path: Path, exc: ValidationError) -> str:
    """One line naming the file, the first failing field and what is wrong."""
    err = exc.errors()[0]
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "is required but missing"
    elif err["type"] == "extra_forbidden":
        msg = "is not a known field"
    return f"{path}: {_format_loc(tuple(err['loc']))}: {msg}"


def _is_charter_file(path: Path) -> bool:
    return path.is_file() and path.name.lower() != "readme.md" and path.name[0] not in "_."


def _read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CharterError(f"{path}: file: cannot be read ({exc.__class__.__name__})") from None
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


def _build(path: Path, model: type[_M], data: dict[str, Any]) -> _M:
    try:
        return model(**data)
    except ValidationError as exc:
        raise CharterError(validation_message(path, exc)) from None


def _load_charter(path: Path) -> Charter:
    data, body = _read_front_matter(path)
    if data.get("name", path.stem) != path.stem:
        raise CharterError(
            f"{path}: name: '{data['name']}' should equal the file name '{path.stem}'"
        )
    data = _with_owner(path, data, path.stem)
    charter = _build(path, Charter, {**data, "body": body, "path": path})
    if not any(entry.version == charter.version for entry in charter.changelog):
        raise CharterError(f"{path}: changelog: has no entry for version {charter.version}")
    return charter


def _load_hub(path: Path) -> HubSpec:
    data, body = _read_front_matter(path)
    if data.get("name", HUB) != HUB:
        raise CharterError(f"{path}: name: should be 'hub'")
    return _build(path, HubSpec, {**_with_owner(path, data, HUB), "body": body, "path": path})


def _check_briefs(charters: CharterSet) -> None:
    """Cross-file checks: post_to names a known place and brief names are unique."""
    seen: dict[str, str] = {}
    sources = [("hub", charters.hub.briefs)] + [(n, c.briefs) for n, c in charters.charters.items()]
    for owner, briefs in sources:
        path = charters.charters[owner].path if owner in charters else charters.hub.path
        for i, brief in enumerate(briefs):
            if brief.post_to != HUB and brief.post_to not in charters:
                known = ", ".join(["hub", *charters.names()])
                raise CharterError(
                    f"{path}: briefs[{i}].post_to: unknown destination '{brief.post_to}' "
                    f"(known: {known})"
                )
            if brief.name in seen:
                raise CharterError(
                    f"{path}: briefs[{i}].name: '{brief.name}' is already a brief of {seen[brief.name]}"
                )
            seen[brief.name] = owner
