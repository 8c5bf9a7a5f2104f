"""The whole loop on one alert: acknowledge with a note, handling notes, resolve with an outcome, or hand up with a
reason. Commands from a phone carry a command id (applied once, however often the queue sends it) and the level
the person saw (refused when the alert has moved since). Series and access log take commands, not raw events."""
from datetime import date, timedelta

import pytest

from domain.alert_desk import AlertDesk
from domain.alerts import (
    AccessLog,
    AlertClosed,
    AlertMoved,
    AlertSeries,
    AlreadyAcknowledged,
    AlreadyAtDistrict,
    CommandAlreadyApplied,
    OccurrenceStillOpen,
)
from domain.identity import make_id_number
from tests.conftest import T0
from tests.unit.domain_helpers import app

MINUTE = timedelta(minutes=1)


@pytest.fixture
def desk():
    return AlertDesk(app())


def raise_one(desk, key="d1"):
    alert_id, _ = desk.raise_or_repeat(
        fingerprint=f"over_occupied_dwelling:{key}", rule_id="over_occupied_dwelling", severity="orange",
        grid_code="37061400100101", town_code="370614001", summary="over", evidence={"value": 9, "capacity": "4"},
        ack_sla_s=900, at=T0, source="test")
    return alert_id


def test_acknowledge_note_resolve_each_an_event_with_who_and_what(desk):
    alert_id = raise_one(desk)
    desk.acknowledge(alert_id, by="worker", role="grid_worker", note="已上门", at=T0 + MINUTE, command_id="c1",
                     seen_level="grid")
    desk.add_note(alert_id, by="worker", role="grid_worker", note="房东电话 13912345678，已约谈", at=T0 + 2 * MINUTE,
                  command_id="c2", seen_level="grid")
    desk.resolve(alert_id, by="worker", role="grid_worker", outcome="两人已迁出", at=T0 + 3 * MINUTE,
                 command_id="c3", seen_level="grid")
    events = list(desk.app.repository.event_store.get(alert_id))
    assert [type(e).__name__ for e in events] == ["Raised", "Acknowledged", "NoteAdded", "Resolved"]
    note = events[2]
    assert (note.by, note.role, note.level, note.command_id) == ("worker", "grid_worker", "grid", "c2")
    assert "13912345678" not in note.note and "[手机号]" in note.note  # free text screened before it is stored
    alert = desk.alert(alert_id)
    assert (alert.status, alert.notes, alert.applied_commands) == ("resolved", 1, {"c1", "c2", "c3"})
    with pytest.raises(AlertClosed) as closed:
        desk.add_note(alert_id, by="town", role="town", note="late", at=T0 + 4 * MINUTE)
    assert closed.value.resolved_by == "worker"


def test_a_command_sent_twice_is_applied_once_even_after_the_alert_moved_on(desk):
    alert_id = raise_one(desk)
    desk.acknowledge(alert_id, by="worker", role="grid_worker", note="", at=T0 + MINUTE, command_id="ack-1")
    with pytest.raises(CommandAlreadyApplied):  # the queue's second send: no second event, no AlreadyAcknowledged
        desk.acknowledge(alert_id, by="worker", role="grid_worker", note="", at=T0 + 2 * MINUTE, command_id="ack-1")
    desk.resolve(alert_id, by="worker", role="grid_worker", outcome="done", at=T0 + 3 * MINUTE, command_id="res-1")
    for command in ("ack-1", "res-1"):  # replays after the resolution still say "already applied"
        with pytest.raises(CommandAlreadyApplied):
            desk.resolve(alert_id, by="worker", outcome="done", at=T0 + 4 * MINUTE, command_id=command)
    assert [type(e).__name__ for e in desk.app.repository.event_store.get(alert_id)] == [
        "Raised", "Acknowledged", "Resolved"]


def test_a_command_made_on_a_stale_view_is_refused_when_the_alert_climbed_meanwhile(desk):
    alert_id = raise_one(desk)
    desk.escalate_due([alert_id], T0 + timedelta(seconds=900))  # the clock: nobody acknowledged in time
    with pytest.raises(AlertMoved) as moved:
        desk.acknowledge(alert_id, by="worker", role="grid_worker", note="", at=T0 + 16 * MINUTE, command_id="a",
                         seen_level="grid")
    assert moved.value.level == "town"
    desk.acknowledge(alert_id, by="town", role="town", note="镇街接手", at=T0 + 17 * MINUTE, seen_level="town")
    with pytest.raises(AlreadyAcknowledged) as taken:
        desk.acknowledge(alert_id, by="worker", role="grid_worker", note="", at=T0 + 18 * MINUTE, seen_level="town")
    assert taken.value.acknowledged_by == "town"


def test_handing_up_climbs_one_loop_with_the_reason_until_the_district(desk):
    alert_id = raise_one(desk)
    desk.escalate(alert_id, by="worker", role="grid_worker", reason="需要执法部门", at=T0 + MINUTE, command_id="e1",
                  seen_level="grid")
    desk.escalate(alert_id, by="town", role="town", reason="跨部门", at=T0 + 2 * MINUTE, seen_level="town")
    with pytest.raises(AlreadyAtDistrict):
        desk.escalate(alert_id, by="district", role="district", reason="?", at=T0 + 3 * MINUTE)
    escalated = [e for e in desk.app.repository.event_store.get(alert_id) if type(e).__name__ == "Escalated"]
    assert [(e.to, e.by, e.role, e.reason) for e in escalated] == [
        ("town", "worker", "grid_worker", "需要执法部门"), ("district", "town", "town", "跨部门")]


def test_an_empty_handling_note_is_refused(desk):
    with pytest.raises(ValueError):
        desk.add_note(raise_one(desk), by="worker", role="grid_worker", note="  ", at=T0)


def test_series_and_access_log_change_through_commands_that_check_first():
    series = AlertSeries(fingerprint="r:x")
    assert series.open_occurrence() == 1
    with pytest.raises(OccurrenceStillOpen):
        series.open_occurrence()
    series.close_occurrence(occurrence=7)  # not the current one: nothing recorded
    assert series.open and [type(e).__name__ for e in series.collect_events()] == ["Started", "OccurrenceOpened"]
    series.close_occurrence(occurrence=1)
    assert not series.open and [type(e).__name__ for e in series.collect_events()] == ["OccurrenceClosed"]
    log = AccessLog(day=T0.date().isoformat())
    id_number = make_id_number("370614", date(1990, 1, 1), 123)
    log.record(at=T0, account="liaison", role="liaison", action="priority trail", resource="x", allowed=True,
               reason=f"案件 118，身份证 {id_number}")
    with pytest.raises(ValueError):  # another day's entry
        log.record(at=T0 + timedelta(days=1), account="a", role="r", action="x", resource="", allowed=True, reason="")
    with pytest.raises(ValueError):
        log.record(at=T0, account="", role="r", action="x", resource="", allowed=True, reason="")
    recorded = [e for e in log.collect_events() if type(e).__name__ == "Recorded"]
    assert len(recorded) == 1 and type(recorded[0]) is AccessLog.Recorded  # the stored name is unchanged
    assert id_number not in recorded[0].reason and "[证件号]" in recorded[0].reason
