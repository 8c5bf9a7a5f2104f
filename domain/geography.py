"""Reference geography: district → towns/streets → villages/communities → grids, plus lodging and scenic areas.

Pure values and their consistency rules; reading files is the composition root's job (gridflow.reference).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class InvalidGeography(ValueError):
    """The reference data contradicts itself (dangling code, duplicate, negative or missing figure)."""


@dataclass(frozen=True)
class Town:
    code: str
    name: str
    name_en: str
    kind: str  # "town" (镇) or "street" (街道)
    synthetic: bool


@dataclass(frozen=True)
class Village:
    code: str
    town_code: str
    name: str
    kind: str  # "village" (村) or "community" (社区)
    new_community: bool  # built since 2017: where the new-resident inflow goes
    synthetic: bool


@dataclass(frozen=True)
class Grid:
    code: str
    village_code: str
    town_code: str
    resident_baseline: int
    dwellings: int
    synthetic: bool


@dataclass(frozen=True)
class Lodging:
    code: str
    grid_code: str
    name: str
    kind: str  # hotel | guesthouse | homestay
    beds: int
    synthetic: bool


@dataclass(frozen=True)
class ScenicArea:
    """Carrying capacity per LB/T 034-2014: maximum instantaneous and maximum daily visitors."""

    code: str
    name: str
    name_en: str
    grid_code: str
    max_instantaneous: int
    max_daily: int
    synthetic: bool


@dataclass
class Geography:
    district_code: str
    district_name: str
    towns: dict[str, Town]
    villages: dict[str, Village]
    grids: dict[str, Grid]
    lodgings: dict[str, Lodging]
    scenic_areas: dict[str, ScenicArea]
    _grids_by_town: dict[str, list[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.check_references()
        self.check_figures()
        for grid in self.grids.values():
            self._grids_by_town.setdefault(grid.town_code, []).append(grid.code)

    def check_references(self) -> None:
        for v in self.villages.values():
            if v.town_code not in self.towns:
                raise InvalidGeography(f"village {v.code} names unknown town {v.town_code}")
        for g in self.grids.values():
            village = self.villages.get(g.village_code)
            if village is None:
                raise InvalidGeography(f"grid {g.code} names unknown village {g.village_code}")
            if village.town_code != g.town_code:
                raise InvalidGeography(f"grid {g.code}: town {g.town_code} is not its village's town")
        for item in (*self.lodgings.values(), *self.scenic_areas.values()):
            if item.grid_code not in self.grids:
                raise InvalidGeography(f"{item.code} names unknown grid {item.grid_code}")
        villages_with_grids = {g.village_code for g in self.grids.values()}
        if missing := set(self.villages) - villages_with_grids:
            raise InvalidGeography(f"villages without any grid: {sorted(missing)[:5]}")

    def check_figures(self) -> None:
        for g in self.grids.values():
            if g.resident_baseline < 0 or g.dwellings <= 0:
                raise InvalidGeography(f"grid {g.code}: baseline must be >= 0 and dwellings > 0")
        for s in self.scenic_areas.values():
            if not 0 < s.max_instantaneous <= s.max_daily:
                raise InvalidGeography(f"scenic area {s.code}: need 0 < instantaneous <= daily capacity")
        for lodging in self.lodgings.values():
            if lodging.beds <= 0:
                raise InvalidGeography(f"lodging {lodging.code}: beds must be > 0")

    def town_of_grid(self, grid_code: str) -> str:
        return self.grids[grid_code].town_code

    def grids_of_town(self, town_code: str) -> list[str]:
        return self._grids_by_town.get(town_code, [])

    def shape(self) -> dict[str, int]:
        return {
            "towns": len(self.towns),
            "villages": len(self.villages),
            "grids": len(self.grids),
            "lodgings": len(self.lodgings),
            "scenic_areas": len(self.scenic_areas),
            "resident_baseline": sum(g.resident_baseline for g in self.grids.values()),
        }

    def towns_by_kind(self) -> Counter[str]:
        return Counter(t.kind for t in self.towns.values())
