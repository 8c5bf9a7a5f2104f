"""The built-in evaluator over a projected simulated season: rules raise alerts once, repeats are counted, the
clock escalates what nobody acknowledged."""
from datetime import timedelta

from domain.alert_desk import AlertDesk
from gridflow.evaluator import Evaluator
from tests.integration.test_event_store import projected_season


def test_rules_raise_once_and_the_clock_escalates(config, geography):
    store, client, projector, _ = projected_season(config, geography, days=3, scale=0.01, batch=500)
    now = [client.query("SELECT max(occurred_at) FROM movements").result_rows[0][0]]
    evaluator = Evaluator(AlertDesk(store), client, geography, lambda: now[0], capacity_scale=0.01)

    first = evaluator.run_once()
    projector.catch_up()
    assert first["raised"] > 0 and first["raised"] == first["findings"]
    assert first["stays_left_open"] > 0  # the clock's facts, which the rules see from the next round on
    settled = evaluator.run_once()
    projector.catch_up()
    assert settled["stays_left_open"] == 0
    by_rule = dict(client.query("SELECT rule_id, count() FROM alerts_current GROUP BY rule_id").result_rows)
    assert by_rule.get("over_occupied_dwelling", 0) > 0 and by_rule.get("stay_left_open", 0) > 0

    again = evaluator.run_once()
    projector.catch_up()
    assert again["raised"] == 0 and again["repeated"] == again["findings"] == first["findings"] + settled["raised"]
    assert sum(by_rule.values()) == client.query("SELECT count() FROM alerts_current").result_rows[0][0]

    now[0] += timedelta(days=2)  # past every SLA: each open alert climbs one loop per round
    assert evaluator.run_once()["escalated"] >= first["raised"] + settled["raised"]
    projector.catch_up()
    levels = dict(client.query("SELECT level, count() FROM alerts_current GROUP BY level").result_rows)
    assert levels.get("town", 0) + levels.get("district", 0) >= first["raised"] + settled["raised"]
