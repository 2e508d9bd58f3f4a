"""``python -m cx users add | grant | revoke | disable | passwd | list``: people, roles and grants.

Passwords are read from standard input (``--password-stdin``), never from the command line, and no
command prints a hash.
"""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy import Engine

from cx.access.roles import ROLES
from cx.store import users

LEVELS = ("brand", "region", "district", "store")


def add_user_commands(commands, common: argparse.ArgumentParser) -> None:
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print one JSON object")
    grants = argparse.ArgumentParser(add_help=False)
    for level in LEVELS:
        grants.add_argument(f"--{level}", action="append", default=[], metavar=level.upper(),
                            help=f"a {level} the user may see (repeatable)")  # fmt: skip
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    actions = commands.add_parser("users", help="people who sign in: roles and grants").add_subparsers(
        dest="action", required=True
    )
    add = actions.add_parser("add", help="create a user", parents=[common, as_json, grants, password])
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--name", help="display name (default: the part of the e-mail before @)")
    for action, what in (("grant", "let a user see more"), ("revoke", "take a grant away")):
        actions.add_parser(action, help=what, parents=[common, as_json, grants]).add_argument("email")
    actions.add_parser("disable", help="end a user's access", parents=[common, as_json]).add_argument("email")
    actions.add_parser("passwd", help="set a user's password", parents=[common, password]).add_argument(
        "email"
    )
    actions.add_parser("list", help="every user with role and grants (no hashes)", parents=[common, as_json])


def run_users(engine: Engine, args) -> int:
    """Run one ``users`` command; a refused change exits 1 with the reason on stderr."""
    try:
        if args.action == "list":
            return _print({"users": users.list_users(engine)}, args.json)
        if args.action == "passwd":
            users.set_password(engine, args.email, _password(args))
            print(f"New password set for {users.normal_email(args.email)}.")
            return 0
        named = [(level, value) for level in LEVELS for value in getattr(args, level, [])]
        if args.action == "add":
            found = users.add_user(engine, args.email, role=args.role, name=args.name,
                                   password=_password(args) if args.password_stdin else None, grants=named)  # fmt: skip
        elif args.action == "disable":
            found = users.disable(engine, args.email)
        else:
            if not named:
                raise ValueError(f"Name what to {args.action}: --region, --district, --store or --brand.")
            change = users.grant if args.action == "grant" else users.revoke
            for level, value in named:
                found = change(engine, args.email, level, value)
        return _print({"user": found}, args.json)
    except ValueError as error:
        print(f"python -m cx users {args.action}: {error}", file=sys.stderr)
        return 1


def _password(args) -> str:
    if not args.password_stdin:
        raise ValueError("pass --password-stdin and give the password on standard input.")
    return sys.stdin.readline().rstrip("\r\n")


def _print(result: dict, as_json: bool) -> int:
    if as_json:
        print(json.dumps(result, default=str, ensure_ascii=False))
        return 0
    for found in result.get("users", [result.get("user")]):
        grants = ", ".join(f"{g['level']} {g['value']}" for g in found["grants"]) or "-"
        state = "active" if found["active"] else "disabled"
        print(f"{found['email']:32} {found['role']:17} {state:8} {grants}")
    if not result.get("users", True):
        print("No users yet: the dashboard is open to anyone who can reach it.")
    return 0
