"""Accounts per role, their tokens (kept only as SHA-256 hashes, compared in constant time), and the one access
policy: `account.may(action, ...)` answers for every route.

grid_worker: his grids · village: its grids · town: its grids · district, admin: all · liaison: priority persons of
his town, after break-the-glass with a stated reason · planner: aggregates only (small cells suppressed) ·
auditor: reads everything, including the access log, acts on nothing. Kept in a JSON file (0600), managed with
`gridflow accounts`; the demo seeds one account per role and prints their tokens once."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from domain.geography import Geography

ROLES = ("grid_worker", "village", "town", "district", "liaison", "planner", "auditor", "admin")
ACTING_ROLES = frozenset({"grid_worker", "village", "town", "district", "admin"})  # may act on alerts
EVERYWHERE = frozenset({"district", "admin", "auditor"})
# action → roles that may take it at all (scope is checked apart)
POLICY = {
    "alerts.read": ACTING_ROLES | {"liaison", "auditor"},
    "alerts.act": ACTING_ROLES,
    "priority.trail": frozenset({"liaison", "auditor"}),
    "priority.lookup": frozenset({"liaison"}),
    "priority.list": frozenset({"liaison", "auditor"}),
    "kpi": ACTING_ROLES | {"planner", "auditor"},
    "audit.read": frozenset({"auditor"}),
}
UNSCOPED = {"kpi": frozenset({"planner"})}  # aggregate-only readers see every area (small cells suppressed)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    token_sha256: str = ""
    grids: tuple[str, ...] = ()  # grid_worker
    village: str = ""
    town: str = ""  # town and liaison
    display: str = ""
    disabled: bool = False

    def grid_scope(self, geo: Geography) -> frozenset[str] | None:
        """The grids this account may see person-level alert data for; None = every grid."""
        if self.role in EVERYWHERE:
            return None
        if self.role == "grid_worker":
            return frozenset(self.grids)
        if self.role == "village":
            return frozenset(g.code for g in geo.grids.values() if g.village_code == self.village)
        if self.role in ("town", "liaison"):
            return frozenset(g.code for g in geo.grids.values() if g.town_code == self.town)
        return frozenset()

    def covers(self, geo: Geography, grid_code: str) -> bool:
        scope = self.grid_scope(geo)
        return scope is None or grid_code in scope

    def may(self, action: str, geo: Geography, grids: tuple[str, ...] | None = (), rule_id: str = "") -> str:
        """'' if allowed, else why not. `grids`: the grids the target lies in (None: the whole district; empty: no
        place in particular, as for a list the caller filters by `grid_scope`); `rule_id`: an alert's rule."""
        if self.role not in POLICY[action]:
            return f"role {self.role} may not {action.replace('.', ' ')}"
        if self.role == "liaison" and rule_id and not rule_id.startswith("priority_"):
            return "liaisons see priority-person alerts only"
        if self.role in UNSCOPED.get(action, ()):
            return ""
        scope = self.grid_scope(geo)
        if scope is None:
            return ""
        if grids is None or not set(grids) <= scope:
            return "outside the account's scope"
        return ""


class Accounts:
    def __init__(self, accounts: list[Account]):
        self.by_name = {a.name: a for a in accounts}

    def authenticate(self, token: str | None) -> Account | None:
        """The enabled account whose token this is; every stored hash is compared, in constant time."""
        if not token:
            return None
        presented, found = token_hash(token), None
        for account in self.by_name.values():
            if secrets.compare_digest(account.token_sha256, presented) and not account.disabled:
                found = account
        return found

    def add(self, account: Account) -> str:
        """Store a new account; return its token (shown once, kept only as a hash)."""
        if account.name in self.by_name:
            raise ValueError(f"an account named {account.name} exists already")
        token = new_token()
        self.by_name[account.name] = replace(account, token_sha256=token_hash(token))
        return token

    def rotate(self, name: str) -> str:
        token = new_token()
        self.by_name[name] = replace(self.by_name[name], token_sha256=token_hash(token), disabled=False)
        return token

    def disable(self, name: str) -> None:
        self.by_name[name] = replace(self.by_name[name], disabled=True)

    def save(self, path: Path) -> None:
        """Atomically, readable by its owner only."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".accounts-")
        with os.fdopen(fd, "w") as f:
            json.dump([asdict(a) for a in self.by_name.values()], f, ensure_ascii=False, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Accounts:
        """Read the file; tokens an older version stored in plain text are hashed and the file rewritten."""
        rows = json.loads(path.read_text("utf-8"))
        plain = [row for row in rows if "token" in row]
        for row in plain:
            row["token_sha256"] = token_hash(row.pop("token"))
        accounts = cls([Account(**{**row, "grids": tuple(row.get("grids", ()))}) for row in rows])
        if plain:
            accounts.save(path)
        return accounts


def demo_accounts(geo: Geography, grid_code: str) -> tuple[Accounts, dict[str, str]]:
    """One account per role around one grid (the demo picks the grid with the most open alerts), and their
    tokens (to print once)."""
    grid = geo.grids[grid_code]
    town = geo.towns[grid.town_code]
    accounts = Accounts([])
    tokens = {a.name: accounts.add(a) for a in (
        Account("worker", "grid_worker", grids=(grid_code,), display=f"网格员 {grid_code}"),
        Account("village", "village", village=grid.village_code, display=f"村/社区 {grid.village_code}"),
        Account("town", "town", town=town.code, display=f"{town.name}"),
        Account("district", "district", display=geo.district_name),
        Account("liaison", "liaison", town=town.code, display=f"公安联络员 {town.name}"),
        Account("planner", "planner", display="规划"),
        Account("auditor", "auditor", display="审计"),
        Account("admin", "admin", display="管理员"),
    )}
    return accounts, tokens
