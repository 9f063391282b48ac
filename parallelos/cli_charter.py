"""`parallelos charter …` (CONTRACT §7.7): the arguments of its actions.

What they do is `parallelos.charter_actions`, imported only when one runs: it brings the
database and the charter-version machinery, which `parallelos route` must not wait for.
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

__all__ = ["add_commands"]


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("charter", help="charter versions, test cases, shadow runs")
    sub = p.add_subparsers(required=True, metavar="ACTION")
    _add(sub, "list", "every domain, active version, shadow if any")
    _add(sub, "history", "versions with dates and change summaries", "domain")
    d = _add(sub, "diff", "what changed between two versions", "domain")
    d.add_argument("a", nargs="?", type=int, help="the older version (default: the previous)")
    d.add_argument("b", nargs="?", type=int, help="the newer version (default: the active)")
    t = sub.add_parser("test", help="run the charters' own test cases; exit 1 on a failure")
    t.add_argument("domain", nargs="?")
    t.set_defaults(func=_test)
    s = _add(sub, "shadow", "run FILE as a shadow candidate beside the active one", "domain")
    s.add_argument("file", type=Path)
    _add(sub, "report", "how the shadow's decisions differed from the active one's", "domain")
    a = _add(sub, "activate", "make a version the active one", "domain")
    a.add_argument("version", type=int)
    r = _add(sub, "rollback", "back to the previous version", "domain")
    for parser in (a, r):
        parser.add_argument("--why", default="", help="the reason, kept in the event log")
    n = _add(sub, "note", "add a post-mortem note to a version", "domain")
    n.add_argument("text", nargs="+")
    n.add_argument("--version", type=int, help="default: the active version")


def _add(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_: str,
    *positional: str,
) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_)
    for arg in positional:
        parser.add_argument(arg)
    parser.set_defaults(func=partial(_run, name))
    return parser


def _run(name: str, args: argparse.Namespace) -> int:
    from parallelos import charter_actions  # the database and versions: only when one runs

    return charter_actions.run(name, args)


def _test(args: argparse.Namespace) -> int:
    from parallelos import charter_actions

    return charter_actions.test(args)
