"""Seeded bad messages for the simulator, each with the reason code gridflow must give it: malformed JSON, an
unknown kind, a wrong ID check digit, and impossible transitions (a check-out of a stay never checked in, a lease
ending before it started, an overlapping lease, a departure sent twice)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from streams.contract import encode, envelope
from streams.season import BAD_KINDS, SimMessage
from streams.topics import TOPIC_OF_KIND

if TYPE_CHECKING:
    from streams.simulator import Simulator


def bad_messages(sim: Simulator, at: datetime) -> list[SimMessage]:
    """One seeded fault with the reason code gridflow must give it."""
    kind = sim.rng.choice(BAD_KINDS)
    if kind == "malformed_json":
        good = sim._message("move_in", "bad", at, {"person": sim._person()["identity"]})
        return [SimMessage(good.topic, b"bad", good.value[: len(good.value) // 2], at, "malformed_json")]
    if kind == "unknown_kind":
        message = envelope("census_update", at, "simulator:bad", {"note": "not a kind gridflow ingests"},
                           sim._uuid())
        return [SimMessage(TOPIC_OF_KIND["move_in"], b"bad", encode(message), at, "unknown_kind")]
    if kind == "invalid_id_number":
        person = sim._person()
        good = person["identity"]["id_number"]
        wrong = "0123456789X"[("0123456789X".index(good[-1]) + 1) % 11]
        person["identity"]["id_number"] = good[:-1] + wrong
        grid = sim.rng.choice(sim.grid_codes)
        message = sim._move_in(person, grid, f"D{grid}-X", f"H{grid}-X", "other", at)
        message.expected_reject = "invalid_id_number"
        return [message]
    if kind == "stay_not_found":
        stay_id = f"ST-never-{sim._uuid().hex[:12]}"
        message = sim._message("visitor_registration", stay_id, at, {"action": "check_out", "stay_id": stay_id})
        message.expected_reject = "stay_not_found"
        return [message]
    started = [lease for lease in sim.leases if lease["start"] < at]  # its start is already published
    if kind == "end_before_start" and started:
        lease = sim.rng.choice(started)
        message = sim._message("rental", lease["dwelling"], lease["start"] - timedelta(days=3),
                                {"action": "end", "lease_id": lease["lease_id"], "dwelling_id": lease["dwelling"]})
        message.expected_reject = "end_before_start"
        return [message]
    if kind == "lease_overlap" and started:  # a second lease on a flat whose lease still runs
        lease = sim.rng.choice(started)
        message = sim._message("rental", lease["dwelling"], at, {
            "action": "start", "lease_id": f"LS-{sim._uuid().hex[:12]}", "dwelling_id": lease["dwelling"],
            "grid_code": lease["grid"], "landlord": sim._person()["identity"],
            "tenants": [sim._person()["identity"]]})
        message.expected_reject = "lease_overlap"
        return [message]
    # not_resident: a resident leaves, and the same departure is sent again with a later date
    # (same topic and key as the first, so it always arrives after it)
    person = sim.residents.pop(sim.rng.randrange(len(sim.residents)))
    first = sim._move_out(person, at - timedelta(minutes=30), "left_district")
    second = sim._move_out(person, at, "left_district")
    second.expected_reject = "not_resident"
    return [first, second]
