"""The alert lifecycle and its escalation loops, with a controllable clock."""
from datetime import timedelta

import pytest

from domain.alert_desk import AlertDesk
from domain.alerts import AlertClosed, AlreadyAcknowledged
from tests.conftest import T0
from tests.unit.domain_helpers import app

SLA = 900


@pytest.fixture
def desk():
    return AlertDesk(app())


def raise_one(desk, key="g1", at=T0, evidence=None):
    return desk.raise_or_repeat(fingerprint=f"inflow_surge:{key}", rule_id="inflow_surge", severity="orange",
                                grid_code="37061400100101", town_code="370614001", summary="surge",
                                evidence=evidence or {"n": 9}, ack_sla_s=SLA, at=at, source="test")


def test_an_unacknowledged_alert_climbs_grid_town_district_at_its_sla(desk):
    alert_id, _ = raise_one(desk)
    levels = []
    for seconds in (SLA - 1, SLA, 2 * SLA - 1, 2 * SLA, 10 * SLA):
        desk.escalate_due([alert_id], T0 + timedelta(seconds=seconds))
        levels.append(desk.alert(alert_id).level)
    assert levels == ["grid", "town", "town", "district", "district"]


def test_acknowledging_stops_the_climb_and_says_whether_it_was_in_time(desk):
    alert_id, _ = raise_one(desk)
    desk.acknowledge(alert_id, by="worker", role="grid_worker", note="on my way", at=T0 + timedelta(seconds=300))
    assert desk.escalate_due([alert_id], T0 + timedelta(hours=5)) == 0
    alert = desk.alert(alert_id)
    assert (alert.level, alert.status, alert.acknowledged["within_sla"]) == ("grid", "acknowledged", True)
    with pytest.raises(AlreadyAcknowledged):
        desk.acknowledge(alert_id, by="town", role="town", note="", at=T0 + timedelta(hours=1))


def test_an_acknowledgement_after_the_sla_at_the_town_is_late(desk):
    alert_id, _ = raise_one(desk)
    desk.escalate_due([alert_id], T0 + timedelta(seconds=SLA))
    desk.acknowledge(alert_id, by="town", role="town", note="", at=T0 + timedelta(seconds=SLA + 600))
    assert desk.alert(alert_id).acknowledged["within_sla"] is True  # within the town's own SLA
    other, _ = raise_one(desk, key="g2")
    desk.acknowledge(other, by="worker", role="grid_worker", note="", at=T0 + timedelta(seconds=SLA + 1))
    assert desk.alert(other).acknowledged["within_sla"] is False


def test_a_repeat_of_an_open_alert_is_counted_not_duplicated(desk):
    first, new = raise_one(desk)
    again, new_again = raise_one(desk, at=T0 + timedelta(minutes=30), evidence={"n": 12})
    same, _ = raise_one(desk, at=T0 + timedelta(minutes=31), evidence={"n": 12})  # nothing new: no event
    assert (new, new_again, again, same) == (True, False, first, first)
    assert desk.alert(first).repeats == 1
    desk.resolve(first, by="worker", outcome="registered with the community", at=T0 + timedelta(hours=2))
    with pytest.raises(AlertClosed):
        desk.escalate(first, by="worker", reason="", at=T0 + timedelta(hours=3))
    later, new_later = raise_one(desk, at=T0 + timedelta(days=1))
    assert new_later and later != first  # a new occurrence once the old one is resolved
