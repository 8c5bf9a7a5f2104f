"""`gridflow accounts add|list|rotate|disable`: the API's accounts. A token is printed once and stored only as a
hash; the file (GRIDFLOW_ACCOUNTS, default <data dir>/accounts.json) is written atomically, mode 0600."""
from __future__ import annotations

import argparse
from typing import Any

from gridflow.accounts import ROLES, Account, Accounts
from gridflow.bootstrap import Gridflow
from gridflow.errors import OperatorError


def _stored(system: Gridflow) -> Accounts:
    path = system.config.accounts_file
    return Accounts.load(path) if path.is_file() else Accounts([])


def _known(accounts: Accounts, name: str) -> None:
    if name not in accounts.by_name:
        raise OperatorError(f"no account named {name}")


def check_scope(system: Gridflow, role: str, grids: list[str], village: str, town: str) -> None:
    geo = system.geography
    needs = {"grid_worker": ("--grid", bool(grids)), "village": ("--village", bool(village)),
             "town": ("--town", bool(town)), "liaison": ("--town", bool(town))}
    if role in needs and not needs[role][1]:
        raise OperatorError(f"a {role} account needs {needs[role][0]}")
    if unknown := [g for g in grids if g not in geo.grids]:
        raise OperatorError(f"unknown grid(s): {', '.join(unknown)}")
    if village and village not in geo.villages:
        raise OperatorError(f"unknown village: {village}")
    if town and town not in geo.towns:
        raise OperatorError(f"unknown town: {town}")


def cmd_accounts(system: Gridflow, args: argparse.Namespace) -> int:
    accounts, path = _stored(system), system.config.accounts_file
    if args.action == "list":
        for a in accounts.by_name.values():
            scope = " ".join(a.grids) or a.village or a.town or "district"
            print(f"{a.name:<16} {a.role:<12} {'disabled' if a.disabled else 'active':<9} {scope}  {a.display}")
        return 0
    if args.action == "add":
        check_scope(system, args.role, args.grid, args.village, args.town)
        try:
            token = accounts.add(Account(args.name, args.role, grids=tuple(args.grid), village=args.village,
                                         town=args.town, display=args.display))
        except ValueError as e:
            raise OperatorError(str(e)) from None
    else:
        _known(accounts, args.name)
        if args.action == "disable":
            accounts.disable(args.name)
            accounts.save(path)
            print(f"{args.name}: disabled (its token no longer opens anything)")
            return 0
        token = accounts.rotate(args.name)
    accounts.save(path)
    print(f"{args.name}: token {token}\n(shown once; only its hash is kept in {path})")
    return 0


def add_commands(sub: Any) -> None:
    accounts = sub.add_parser("accounts", help="manage API accounts (tokens are shown once, stored as hashes)")
    action = accounts.add_subparsers(dest="action", required=True)
    action.add_parser("list", help="list accounts (never their tokens)")
    add = action.add_parser("add", help="create an account and print its token once")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--grid", action="append", default=[], help="grid code (grid workers; repeat for several)")
    add.add_argument("--village", default="", help="village/community code (village accounts)")
    add.add_argument("--town", default="", help="town/street code (town accounts and liaisons)")
    add.add_argument("--display", default="", help="name shown on the page")
    for verb, text in (("rotate", "issue a new token (the old one stops working)"),
                       ("disable", "disable an account")):
        action.add_parser(verb, help=text).add_argument("name")
    accounts.set_defaults(func=cmd_accounts)
