"""Accounts per role with token authentication, and what each may see: authorization by administrative scope.

grid_worker: his grids · village: its grids · town: its grids · district, admin: all · liaison: priority persons of
his town, after break-the-glass with a stated reason · planner: aggregates only (small cells suppressed) ·
auditor: reads everything, including the access log, acts on nothing. Kept in a JSON file (0600); the demo seeds one
account per role."""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from domain.geography import Geography

ROLES = ("grid_worker", "village", "town", "district", "liaison", "planner", "auditor", "admin")
ACTING_ROLES = frozenset({"grid_worker", "village", "town", "district", "admin"})  # may act on alerts


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    token: str = field(repr=False)
    grids: tuple[str, ...] = ()  # grid_worker
    village: str = ""
    town: str = ""  # town and liaison
    display: str = ""

    def grid_scope(self, geo: Geography) -> frozenset[str] | None:
        """The grids this account may see person-level alert data for; None = every grid."""
        if self.role in ("district", "admin", "auditor"):
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


class Accounts:
    def __init__(self, accounts: list[Account]):
        self.by_token = {a.token: a for a in accounts}
        self.by_name = {a.name: a for a in accounts}

    def authenticate(self, token: str | None) -> Account | None:
        if not token:
            return None
        for known, account in self.by_token.items():
            if secrets.compare_digest(known, token):
                return account
        return None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([asdict(a) for a in self.by_name.values()], ensure_ascii=False, indent=2))
        os.chmod(path, 0o600)

    @classmethod
    def load(cls, path: Path) -> "Accounts":
        return cls([Account(**{**row, "grids": tuple(row.get("grids", ()))}) for row in json.loads(path.read_text())])


def demo_accounts(geo: Geography, grid_code: str) -> Accounts:
    """One account per role around one grid (the demo picks the grid with the most open alerts)."""
    grid = geo.grids[grid_code]
    town = geo.towns[grid.town_code]

    def token() -> str:
        return secrets.token_urlsafe(18)

    return Accounts([
        Account("worker", "grid_worker", token(), grids=(grid_code,), display=f"网格员 {grid_code}"),
        Account("village", "village", token(), village=grid.village_code, display=f"村/社区 {grid.village_code}"),
        Account("town", "town", token(), town=town.code, display=f"{town.name}"),
        Account("district", "district", token(), display=geo.district_name),
        Account("liaison", "liaison", token(), town=town.code, display=f"公安联络员 {town.name}"),
        Account("planner", "planner", token(), display="规划"),
        Account("auditor", "auditor", token(), display="审计"),
        Account("admin", "admin", token(), display="管理员"),
    ])
