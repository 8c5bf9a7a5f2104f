"""Point in time from the event store: business time and recording time are separate axes; the answer at the
end of the log agrees with the ClickHouse read models."""
from datetime import UTC, datetime, timedelta

from gridflow.bootstrap import bootstrap
from projections.as_of import area_state, person_state
from tests.conftest import T0
from tests.integration.test_event_store import projected_season
from tests.unit.domain_helpers import GRID, Feed, move_in, move_out, person

LATER = datetime(2100, 1, 1, tzinfo=UTC)


def test_what_was_true_then_and_what_we_knew_then_differ_for_a_late_move_out(config, geography):
    store = bootstrap(config, geography).store
    zhang, li, feed = person(), person(), Feed()
    store.process([feed.item(move_in(zhang, "D1", T0)), feed.item(move_in(li, "D2", T0 + timedelta(hours=1)))])
    before_the_late_message = datetime.now(UTC)
    store.process([feed.item(move_out(zhang, "D1", T0 + timedelta(hours=2)))])  # registered late

    def residents(at, known_at=LATER):
        return area_state(store, geography, at, known_at, grid=GRID).residents

    assert residents(T0 + timedelta(minutes=30)) == 1
    assert residents(T0 + timedelta(hours=3)) == 1
    assert residents(T0 + timedelta(hours=3), known_at=before_the_late_message) == 2
    pseudonym = store.pseudonymize(zhang.id_number)
    assert person_state(store, geography, pseudonym, T0 + timedelta(hours=1), LATER).registered_in["dwelling"] == "D1"
    then = person_state(store, geography, pseudonym, T0 + timedelta(hours=3), LATER)
    assert then.registered_in is None and [f["kind"] for f in then.trail] == ["move_in", "move_out"]


def test_as_of_the_end_agrees_with_the_read_models(config, geography):
    store, client, _, _ = projected_season(config, geography, days=2)
    town, count = client.query("SELECT town_code, count() FROM movements WHERE kind = 'visitor_check_in' "
                               "GROUP BY town_code ORDER BY count() DESC LIMIT 1").result_rows[0]
    state = area_state(store, geography, LATER, LATER, town=town)
    expected = client.query("SELECT sum(residents), sum(visitors_present), sum(active_leases) FROM grid_population "
                            "FINAL WHERE town_code = %(t)s", parameters={"t": town}).result_rows[0]
    assert (state.residents, state.visitors_present, state.active_leases) == tuple(int(v) for v in expected)
    assert state.residents > 0 and count > 0
