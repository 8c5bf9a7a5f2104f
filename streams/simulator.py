"""A deterministic simulated Penglai season as intake messages (the same contract any external producer uses).

Baseline residents register first; then day by day: new households moving into new communities, moves inside
the district, departures, rentals with their tenants, tourists (summer peak, holiday spikes, >90 % non-local)
checking in and out of lodgings, and priority-person movements. A configurable share of bad messages is mixed in
(malformed JSON, unknown kind, invalid ID check digit, impossible transitions) so the reject path always runs;
each carries the reason code gridflow must give it.
"""
from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from domain.geography import Geography
from domain.identity import make_id_number
from streams.contract import encode, envelope
from streams.season import (
    CST,
    DAY_VISITS,
    DEPARTURES_PER_DAY,
    GIVEN,
    INTERNAL_MOVES_PER_DAY,
    LEASE_STARTS_PER_DAY,
    LOCAL_REGIONS,
    MEAN_SEASON_FACTOR,
    NEW_HOUSEHOLDS_PER_DAY,
    NON_LOCAL_REGIONS,
    PRIORITY_PERSONS,
    SCENIC_SHARE,
    STAYS_PER_YEAR,
    SURNAMES,
    SimMessage,
    season_factor,
)
from streams.seeded_faults import bad_messages
from streams.topics import TOPIC_OF_KIND


class Simulator:
    def __init__(self, geography: Geography, *, start: date, days: int, scale: float, seed: int,
                 bad_share: float = 0.01):
        self.g, self.start, self.days, self.scale, self.bad_share = geography, start, days, scale, bad_share
        self.rng = random.Random(seed)
        self.uuid_rng = random.Random(seed + 1)
        self.next_person = 0
        self.residents: list[dict[str, Any]] = []  # people currently registered (as the simulator knows)
        self.leases: list[dict[str, Any]] = []
        grids = [g for g in geography.grids.values() if g.valid_to is None]  # grids drawn as of today
        self.grid_codes = [g.code for g in grids]
        new_villages = {v.code for v in geography.villages.values() if v.new_community}
        self.new_community_grids = [g.code for g in grids if g.village_code in new_villages] or self.grid_codes
        self.lodgings = list(geography.lodgings.values())
        self.scenic_areas = list(geography.scenic_areas.values())
        self.lodging_weights = [lodging.beds for lodging in self.lodgings]
        self.counts: dict[str, int] = {}

    # -- helpers --------------------------------------------------------------------------------------------
    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.uuid_rng.getrandbits(128), version=4)

    def _person(self, region: str | None = None) -> dict[str, Any]:
        """A new person with a unique, valid ID number (birth day and sequence derived from a counter)."""
        n = self.next_person
        self.next_person += 1
        birth = date(1940, 1, 1) + timedelta(days=(n * 7919) % 25_000)
        id_number = make_id_number(region or self.rng.choice(LOCAL_REGIONS), birth, n // 25_000 + (n % 7) * 100)
        name = self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=self.rng.randint(1, 2)))
        return {"ref": f"P{n:07d}", "identity": {"id_number": id_number, "name": name,
                                                  "phone": f"1{self.rng.randint(3, 9)}{self.rng.randrange(10**9):09d}"}}

    def _message(self, kind: str, key: str, at: datetime, payload: dict[str, Any]) -> SimMessage:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        value = encode(envelope(kind, at, f"simulator:{kind}", payload, self._uuid()))
        return SimMessage(TOPIC_OF_KIND[kind], key.encode(), value, at)

    def _n(self, per_day_at_scale_1: float) -> int:
        """Poisson-ish count for one day at this scale (deterministic by seed)."""
        mean = per_day_at_scale_1 * self.scale
        return int(mean) + (1 if self.rng.random() < mean - int(mean) else 0)

    def _at(self, day: date, hour_lo: int = 7, hour_hi: int = 21) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=CST) + timedelta(
            seconds=self.rng.randrange(hour_lo * 3600, hour_hi * 3600))

    def _move_in(self, person: dict[str, Any], grid: str, dwelling: str, household: str, reason: str,
                 at: datetime, origin: str = "", dwelling_type: str = "", capacity: int | None = None) -> SimMessage:
        person.update(grid=grid, dwelling=dwelling, household=household)
        payload = {"person": person["identity"], "dwelling_id": dwelling, "grid_code": grid,
                   "household_id": household, "reason": reason}
        if origin:
            payload["origin"] = origin
        if dwelling_type:
            payload["dwelling_type"] = dwelling_type
        if capacity:
            payload["dwelling_capacity"] = capacity
        return self._message("move_in", person["ref"], at, payload)

    def _move_out(self, person: dict[str, Any], at: datetime, reason: str, destination: str = "") -> SimMessage:
        payload = {"person": person["identity"], "dwelling_id": person["dwelling"], "grid_code": person["grid"],
                   "reason": reason}
        if destination:
            payload["destination"] = destination
        return self._message("move_out", person["ref"], at, payload)

    # -- the season -----------------------------------------------------------------------------------------
    def messages(self) -> Iterator[SimMessage]:
        yield from self._baseline()
        self.priority = [self._enrol_priority() for _ in range(max(3, round(PRIORITY_PERSONS * self.scale)))]
        open_stays: list[tuple[datetime, dict[str, Any]]] = []
        for d in range(self.days):
            day = self.start + timedelta(days=d)
            todays: list[SimMessage] = []
            todays += self._residency_day(day)
            todays += self._rental_day(day)
            todays += self._visitor_day(day, open_stays)
            todays += self._priority_day(day)
            todays += self._scenic_day(day)
            todays.sort(key=lambda m: m.occurred_at)
            for message in todays:
                yield message
                if self.rng.random() < self.bad_share:
                    yield from bad_messages(self, message.occurred_at)

    def _baseline(self) -> Iterator[SimMessage]:
        """Residents already registered before the season (registration dates spread over earlier years)."""
        messages = []
        for grid in self.g.grids.values():
            if grid.valid_to is not None:
                continue
            people = max(1, round(grid.resident_baseline * self.scale))
            dwelling_no = 0
            while people > 0:
                size = min(people, self.rng.choice((1, 2, 2, 3, 3, 3, 4)))
                dwelling, household = f"D{grid.code}-{dwelling_no:04d}", f"H{grid.code}-{dwelling_no:04d}"
                dwelling_no += 1
                at = datetime(2010, 1, 1, tzinfo=CST) + timedelta(seconds=self.rng.randrange(15 * 365 * 86400))
                capacity = size + self.rng.choice((0, 1, 2, 3))
                if size > 1 and self.rng.random() < 0.03:  # a few crowded households: over-occupancy facts
                    capacity = size - 1
                for _ in range(size):
                    person = self._person()
                    messages.append(self._move_in(person, grid.code, dwelling, household, "baseline_registration",
                                                  at, dwelling_type="owned", capacity=capacity))
                    self.residents.append(person)
                people -= size
        messages.sort(key=lambda m: m.occurred_at)
        return iter(messages)

    def _residency_day(self, day: date) -> list[SimMessage]:
        out = []
        for _ in range(self._n(NEW_HOUSEHOLDS_PER_DAY)):  # new urban communities, second-home buyers
            grid = self.rng.choice(self.new_community_grids)
            no = self._uuid().hex[:8]
            origin = self.rng.choice(NON_LOCAL_REGIONS + LOCAL_REGIONS)
            at = self._at(day)
            for _ in range(self.rng.choice((1, 2, 3, 3, 4))):
                person = self._person(origin)
                out.append(self._move_in(person, grid, f"D{grid}-N{no}", f"H{grid}-N{no}", "new_home", at, origin,
                                         dwelling_type="owned", capacity=5))
                self.residents.append(person)
        for _ in range(self._n(INTERNAL_MOVES_PER_DAY)):
            person = self.rng.choice(self.residents)
            grid = self.rng.choice(self.grid_codes)
            no = self._uuid().hex[:8]
            at = self._at(day)
            if self.rng.random() < 0.3:  # some sources send the move-out explicitly as well
                out.append(self._move_out(person, at - timedelta(hours=2), "moved_within_district", "370614"))
            out.append(self._move_in(person, grid, f"D{grid}-M{no}", f"H{grid}-M{no}", "family", at))
        for _ in range(self._n(DEPARTURES_PER_DAY)):
            person = self.residents.pop(self.rng.randrange(len(self.residents)))
            out.append(self._move_out(person, self._at(day), "left_district", self.rng.choice(NON_LOCAL_REGIONS)))
        return out

    def _rental_day(self, day: date) -> list[SimMessage]:
        out = []
        for _ in range(self._n(LEASE_STARTS_PER_DAY)):
            grid = self.rng.choice(self.grid_codes)
            lease_id, no = f"LS-{self._uuid().hex[:12]}", self._uuid().hex[:8]
            dwelling = f"D{grid}-R{no}"
            group_rental = self.rng.random() < 0.03  # a few flats let to many workers: over-occupancy facts
            size = self.rng.randint(5, 9) if group_rental else self.rng.choice((1, 1, 2, 3))
            tenants = [self._person(self.rng.choice(NON_LOCAL_REGIONS)) for _ in range(size)]
            at = self._at(day)
            out.append(self._message("rental", dwelling, at, {
                "action": "start", "lease_id": lease_id, "dwelling_id": dwelling, "grid_code": grid,
                "landlord": self._person()["identity"], "tenants": [t["identity"] for t in tenants],
                "planned_end": (day + timedelta(days=self.rng.choice((90, 180, 365)))).isoformat(),
                "dwelling_capacity": self.rng.choice((2, 3, 4))}))
            for tenant in tenants:
                out.append(self._move_in(tenant, grid, dwelling, f"H{grid}-R{no}", "rental",
                                         at + timedelta(hours=3), tenant["identity"]["id_number"][:6]))
                self.residents.append(tenant)
            self.leases.append({"lease_id": lease_id, "dwelling": dwelling, "grid": grid, "start": at})
        for _ in range(min(len(self.leases) // 4, self._n(LEASE_STARTS_PER_DAY * 0.6))):
            lease = self.leases.pop(self.rng.randrange(len(self.leases)))
            at = max(self._at(day), lease["start"] + timedelta(hours=1))
            out.append(self._message("rental", lease["dwelling"], at, {
                "action": "end", "lease_id": lease["lease_id"], "dwelling_id": lease["dwelling"]}))
        return out

    def _visitor_day(self, day: date, open_stays: list[tuple[datetime, dict[str, Any]]]) -> list[SimMessage]:
        out = []
        arrivals = self._n(STAYS_PER_YEAR / 365 * season_factor(day))
        for _ in range(arrivals):
            lodging = self.rng.choices(self.lodgings, self.lodging_weights)[0]
            local = self.rng.random() < 0.07
            region = self.rng.choice(LOCAL_REGIONS if local else NON_LOCAL_REGIONS)
            nights = min(7, 1 + int(self.rng.expovariate(0.8)))
            stay_id, at = f"ST-{self._uuid().hex[:16]}", self._at(day, 10, 23)
            out.append(self._message("visitor_registration", stay_id, at, {
                "action": "check_in", "stay_id": stay_id, "lodging_code": lodging.code,
                "guest": self._person(region)["identity"], "party_size": self.rng.choice((1, 2, 2, 2, 3, 3, 4, 5)),
                "nights": nights, "origin_region": region}))
            if self.rng.random() > 0.03:  # a few never check out: open-stay facts for later alerts
                leave = datetime(day.year, day.month, day.day, 11, tzinfo=CST) + timedelta(
                    days=nights, minutes=self.rng.randrange(-120, 60))
                open_stays.append((leave, {"stay_id": stay_id}))
        end_of_day = datetime(day.year, day.month, day.day, tzinfo=CST) + timedelta(days=1)
        due = [s for s in open_stays if s[0] < end_of_day]
        for leave, stay in due:
            open_stays.remove((leave, stay))
            out.append(self._message("visitor_registration", stay["stay_id"], leave,
                                     {"action": "check_out", "stay_id": stay["stay_id"]}))
        return out

    def _scenic_day(self, day: date) -> list[SimMessage]:
        """Gate counts every 30 min, 07:00–18:30: arrivals peak late morning, visitors stay one to two hours,
        everyone is out at closing. Day trippers and lodged tourists alike (12 M visits a year)."""
        out = []
        total = DAY_VISITS * season_factor(day) / MEAN_SEASON_FACTOR * self.scale
        slots = [7 + k / 2 for k in range(24)]
        weights = [math.exp(-(((h - 11.5) / 2.5) ** 2) / 2) for h in slots]
        for area in self.scenic_areas:
            daily = total * SCENIC_SHARE.get(area.code, 0.1) * self.rng.uniform(0.9, 1.1)
            entries = [round(daily * w / sum(weights)) for w in weights]
            exits = [0] * len(slots)
            for k, n in enumerate(entries):
                stay = min(len(slots) - 1, k + self.rng.choice((2, 3, 3, 4)))  # 1–2 h later
                exits[stay] += n
            exits[-1] += sum(entries) - sum(exits)
            for k, hour in enumerate(slots):
                at = datetime(day.year, day.month, day.day, int(hour), int(hour % 1 * 60), tzinfo=CST)
                out.append(self._message("scenic_gate", area.code, at, {
                    "scenic_area": area.code, "interval_minutes": 30, "entries": entries[k], "exits": exits[k]}))
        return out

    def _enrol_priority(self) -> dict[str, Any]:
        grid = self.rng.choice(self.grid_codes)
        return {"person": self._person(), "grid": grid, "worker": f"W{grid[-6:]}",
                "category": self.rng.choice(("community_correction", "released_after_sentence",
                                             "mental_illness_risk", "drug_rehabilitation"))}

    def _priority_day(self, day: date) -> list[SimMessage]:
        out = []
        for p in self.priority:
            movements = []
            if self.rng.random() < 0.5:
                movements.append("sighting")
            if day.day == 1 + (int(p["worker"][1:]) % 28):
                movements.append("visit")  # the monthly-visit duty
            if self.rng.random() < 0.03:
                movements.append(self.rng.choice(("lodging_check_in", "transport")))
            for movement in movements:
                away = movement != "visit" and self.rng.random() < 0.12
                payload = {"person": p["person"]["identity"], "category": p["category"], "assigned_grid": p["grid"],
                           "responsible_worker": p["worker"], "movement": movement,
                           "grid_code": self.rng.choice(self.grid_codes) if away else p["grid"]}
                if movement == "transport" and self.rng.random() < 0.5:  # a ticket out of the district
                    del payload["grid_code"]
                    payload["region"] = self.rng.choice(NON_LOCAL_REGIONS)
                out.append(self._message("priority_movement", p["person"]["ref"], self._at(day), payload))
        return out
