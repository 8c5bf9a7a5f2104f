"""A producer that is not gridflow's code (confluent-kafka / librdkafka), writing JSON by hand from the documented
schemas, is processed like any other feed."""
from __future__ import annotations

import json
import uuid

from confluent_kafka import Producer

from gridflow.pipeline import local_stack, stream_through
from projections import queries
from tests.conftest import make_config
from tests.e2e.test_pipeline import fresh_kafka  # noqa: F401 - fixture

GRID = "37061400100101"
RESIDENT = {"id_number": "370614198503120217", "name": "王芳", "phone": "13912345678"}
LANDLORD = {"id_number": "370602196211300086"}
TENANT = {"id_number": "320106197801090449"}
GUEST = {"id_number": "110105199007013052", "name": "李明"}


def message(kind: str, occurred_at: str, payload: dict) -> bytes:
    return json.dumps({"message_id": str(uuid.uuid4()), "kind": kind, "schema_version": 1,
                       "occurred_at": occurred_at, "source": "hotel-feed-test", "payload": payload},
                      ensure_ascii=False).encode()


FEED = [
    ("gridflow.intake.move-in", "ref-1", message("move_in", "2026-08-01T09:00:00+08:00", {
        "person": RESIDENT, "dwelling_id": "D-ext-1", "grid_code": GRID, "household_id": "H-ext-1",
        "reason": "new_home", "origin": "320106"})),
    ("gridflow.intake.move-out", "ref-1", message("move_out", "2026-08-03T09:00:00Z", {
        "person": RESIDENT, "dwelling_id": "D-ext-1", "grid_code": GRID, "reason": "left_district"})),
    ("gridflow.intake.rental", "LS-ext-1", message("rental", "2026-08-01T10:00:00+08:00", {
        "action": "start", "lease_id": "LS-ext-1", "dwelling_id": "D-ext-2", "grid_code": GRID,
        "landlord": LANDLORD, "tenants": [TENANT], "planned_end": "2027-08-01"})),
    ("gridflow.intake.rental", "LS-ext-1", message("rental", "2026-08-02T10:00:00+08:00", {
        "action": "end", "lease_id": "LS-ext-1"})),
    ("gridflow.intake.visitor", "ST-ext-1", message("visitor_registration", "2026-08-01T20:00:00+08:00", {
        "action": "check_in", "stay_id": "ST-ext-1", "lodging_code": "L3706140010010201", "guest": GUEST,
        "party_size": 3, "nights": 2, "origin_region": "110105"})),
    ("gridflow.intake.visitor", "ST-ext-1", message("visitor_registration", "2026-08-03T11:00:00+08:00", {
        "action": "check_out", "stay_id": "ST-ext-1"})),
    ("gridflow.intake.priority", "ref-9", message("priority_movement", "2026-08-02T15:30:00+08:00", {
        "person": LANDLORD, "category": "community_correction", "assigned_grid": GRID,
        "responsible_worker": "W-001", "movement": "sighting", "grid_code": "37061400100102"})),
]


def test_messages_from_librdkafka_following_the_schemas_are_processed(tmp_path, geography, fresh_kafka):  # noqa: F811
    config = make_config(tmp_path / "gf", KAFKA_BOOTSTRAP_SERVERS=fresh_kafka)
    with local_stack(config, geography) as stack:
        producer = Producer({"bootstrap.servers": fresh_kafka, "acks": "all"})
        for topic, key, value in FEED:
            producer.produce(topic, key=key.encode(), value=value)
        assert producer.flush(30) == 0
        del producer  # librdkafka would keep reconnecting after this test's broker stops
        stream_through(stack, [], expect_handled=lambda _: len(FEED))
        assert queries.intake_totals(stack.client) == {"accepted": len(FEED), "duplicates": 0, "rejected": 0}
        counts = queries.movement_counts(stack.client)
        # the move-out travels on its own topic and may be applied before the move-in: then it takes effect
        # when the move-in arrives (one extra "settled" row); either way the resident has come and gone
        assert counts.pop("move_out_settled", 0) in (0, 1)
        assert counts == {"move_in": 1, "move_out": 1, "lease_start": 1, "lease_end": 1, "visitor_check_in": 1,
                          "visitor_check_out": 1, "priority_sighting": 1,
                          "priority_left_assigned_grid": 1}  # sighted outside the grid they are assigned to
        assert stack.client.query("SELECT sum(population_delta), sum(lease_delta), sum(visitors_delta) "
                                  "FROM movements").result_rows == [(0, 0, 0)]
