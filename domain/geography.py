"""Reference geography: district → towns/streets → villages/communities → grids, plus lodging and scenic areas.

Pure values and their consistency rules; reading files is the composition root's job (gridflow.reference).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from domain import errors

LEVELS = ("grid", "town", "district")  # the loops of the grid system, innermost first (网格 → 镇街 → 区)
# LB/T 034-2014 practice: the share of a carrying capacity at which each warning tier starts
CAPACITY_TIERS = {"yellow": 0.8, "orange": 0.9, "red": 1.0}


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
    """A grid as drawn between `valid_from` and `valid_to` (open ends: always). A split or merge retires the
    grid (valid_to) and names its successors (`replaced_by`), which start that day; the old grid stays in the
    reference so history keeps the code it was recorded under."""

    code: str
    village_code: str
    town_code: str
    resident_baseline: int
    dwellings: int
    synthetic: bool
    valid_from: date | None = None
    valid_to: date | None = None
    replaced_by: tuple[str, ...] = ()

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on < self.valid_to)


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
        self.check_versions()
        for grid in self.grids.values():
            if grid.valid_to is None:
                self._grids_by_town.setdefault(grid.town_code, []).append(grid.code)

    def check_versions(self) -> None:
        for g in self.grids.values():
            if g.valid_from and g.valid_to and g.valid_from >= g.valid_to:
                raise InvalidGeography(f"grid {g.code}: valid_from must be before valid_to")
            if bool(g.replaced_by) != bool(g.valid_to):
                raise InvalidGeography(f"grid {g.code}: a retired grid names its successors, and only it does")
            for successor in g.replaced_by:
                new = self.grids.get(successor)
                if new is None:
                    raise InvalidGeography(f"grid {g.code} is replaced by unknown grid {successor}")
                if new.valid_from != g.valid_to:
                    raise InvalidGeography(f"grid {successor} must start the day {g.code} ends ({g.valid_to})")

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

    # -- questions the intake asks (they raise the reject reason when the answer is no) ---------------------------
    def check_grid(self, grid_code: str, occurred_at: datetime) -> None:
        """The grid exists and was drawn as such on that (business) day: history keeps retired grids."""
        grid = self.grids.get(grid_code)
        if grid is None:
            raise errors.UnknownGrid(grid_code)
        if not grid.in_force(occurred_at.date()):
            raise errors.GridNotInForce(f"{grid_code} is drawn {grid.valid_from or '…'} to {grid.valid_to or '…'}"
                                        f" ({' '.join(grid.replaced_by) or 'new'})")

    def lodging_grid(self, lodging_code: str) -> str:
        lodging = self.lodgings.get(lodging_code)
        if lodging is None:
            raise errors.UnknownLodging(lodging_code)
        return lodging.grid_code

    def scenic_area(self, area_code: str) -> ScenicArea:
        area = self.scenic_areas.get(area_code)
        if area is None:
            raise errors.UnknownScenicArea(area_code)
        return area

    def in_district(self, region: str) -> bool:
        return region.startswith(self.district_code)

    def levels_outside(self, assigned_grid: str, grid_code: str) -> set[str]:
        """Which levels of the assigned area ("grid", "town", "district") a place lies outside of; a place
        without a grid is outside the district."""
        if not grid_code:
            return {"grid", "town", "district"}
        outside = set() if grid_code == assigned_grid else {"grid"}
        if self.town_of_grid(grid_code) != self.town_of_grid(assigned_grid):
            outside.add("town")
        return outside

    def town_of_grid(self, grid_code: str) -> str:
        return self.grids[grid_code].town_code

    def grids_of_town(self, town_code: str) -> list[str]:
        """The town's grids in force today."""
        return self._grids_by_town.get(town_code, [])

    def current_grids(self) -> list[str]:
        return [g.code for g in self.grids.values() if g.valid_to is None]

    def successors(self, grid_code: str) -> list[str]:
        """The grids in force today that cover a (possibly retired) grid's area; itself if never redrawn."""
        grid = self.grids[grid_code]
        if not grid.replaced_by:
            return [grid_code]
        return sorted({code for successor in grid.replaced_by for code in self.successors(successor)})

    def shape(self) -> dict[str, int]:
        return {
            "towns": len(self.towns),
            "villages": len(self.villages),
            "grids": len(self.current_grids()),
            "lodgings": len(self.lodgings),
            "scenic_areas": len(self.scenic_areas),
            "resident_baseline": sum(g.resident_baseline for g in self.grids.values() if g.valid_to is None),
        }

    def towns_by_kind(self) -> Counter[str]:
        return Counter(t.kind for t in self.towns.values())


class NoReference:
    """Stands in for the reference geography where a model runs without one (model tests): every grid is in
    force and the district contains every region; nothing is known of lodgings, scenic areas or towns."""

    district_code = ""

    def check_grid(self, grid_code: str, occurred_at: datetime) -> None:
        pass

    def lodging_grid(self, lodging_code: str) -> str:
        raise errors.UnknownLodging(lodging_code)

    def scenic_area(self, area_code: str) -> ScenicArea:
        raise errors.UnknownScenicArea(area_code)

    def in_district(self, region: str) -> bool:
        return True

    def levels_outside(self, assigned_grid: str, grid_code: str) -> set[str]:
        if not grid_code:
            return {"grid", "town", "district"}
        return set() if grid_code == assigned_grid else {"grid"}
