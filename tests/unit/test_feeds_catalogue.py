"""The feed catalogue and the messages it makes, without a broker: validated whole with one-line errors naming the
entry; the published schemas are the ones the catalogue generates; each feed carries what its entry says, in its
scope, pseudonymised with a key of its own."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from domain.application import Population
from domain.identity import Pseudonymizer
from feeds.catalogue import SCHEMAS, SHIPPED, CatalogueError, load_catalogue, parse_entry
from feeds.messages import feed_messages
from feeds.reading import LogReader
from streams.contract import encode, envelope, to_item

T0 = datetime(2026, 8, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
RESIDENT = {"id_number": "370614198503120217", "name": "王芳"}
WATCHED = {"id_number": "370602196211300086", "name": "赵强"}
HOME, AWAY = "37061400100101", "37061400200101"  # grids in towns 370614001 and 370614002


def test_the_shipped_catalogue_loads_and_its_published_schemas_are_the_ones_it_generates(geography):
    feeds = load_catalogue(None, geography)
    assert [f.department for f in feeds] == ["tourism", "civil-affairs", "public-security"]
    generated = {f"{f.department}/{kind}.schema.json": schema for f in feeds for kind, schema in f.schemas().items()}
    shipped = {str(p.relative_to(SCHEMAS)): json.loads(p.read_text("utf-8")) for p in SCHEMAS.rglob("*.json")}
    assert shipped == generated  # regenerate with `gridflow feeds schemas`
    for schema in shipped.values():
        Draft7Validator.check_schema(schema)


ENTRY = {"department": "town-office", "granularity": "events", "kinds": ["move_in"], "fields": ["village_code"],
         "scope": {"towns": ["370614001"]}}
MISTAKES = {
    "unknown kind": ({"kinds": ["move_inn"]}, "kind 'move_inn' is not available as events"),
    "kind only counted": ({"kinds": ["visitor_check_in"]}, "kind 'visitor_check_in' is not available as events"),
    "field not carried": ({"fields": ["entries"]}, "field 'entries' is not carried by these kinds"),
    "unknown town": ({"scope": {"towns": ["370614999"]}}, "scope towns: unknown code 370614999"),
    "two scope levels": ({"scope": {"towns": ["370614001"], "grids": [HOME]}}, "scope must name exactly one"),
    "another district": ({"scope": {"district": 110105}}, "scope district must be 370614"),
    "granularity": ({"granularity": "rows"}, "granularity must be `events`"),
    "topic-unsafe name": ({"department": "Town Office"}, "department must be lower-case"),
    "typo in a key": ({"feilds": []}, "unknown key 'feilds'"),
}


@pytest.mark.parametrize("case", MISTAKES)
def test_a_catalogue_mistake_is_one_line_naming_the_entry(case, geography):
    change, cause = MISTAKES[case]
    with pytest.raises(CatalogueError) as raised:
        parse_entry({**ENTRY, **change}, 2, geography)
    message = str(raised.value)
    assert "\n" not in message and "(entry 2)" in message and cause in message, message


def test_a_department_named_twice_or_a_file_that_is_no_catalogue_is_named(tmp_path, geography):
    twice = tmp_path / "twice.yaml"
    twice.write_text(yaml.safe_dump({"feeds": [ENTRY, ENTRY]}), "utf-8")
    with pytest.raises(CatalogueError, match=r"feed 'town-office' \(entry 2\): department named twice"):
        load_catalogue(twice, geography)
    broken = tmp_path / "broken.yaml"
    broken.write_text("feeds: [", "utf-8")
    with pytest.raises(CatalogueError, match="is not YAML"):
        load_catalogue(broken, geography)
    assert SHIPPED.exists()


def message(kind: str, minutes: int, payload: dict) -> bytes:
    return encode(envelope(kind, T0 + timedelta(minutes=minutes), "unit", payload))


def test_each_feed_carries_its_kinds_and_fields_in_its_scope_under_its_own_pseudonyms(geography):
    store = Population({}, geography=geography, pseudonymize=Pseudonymizer(b"store-key-" * 4))
    intake = [("move_in", 0, {"person": RESIDENT, "dwelling_id": "D1", "grid_code": HOME, "household_id": "H1",
                              "reason": "new_home", "origin": "320106"}),
              ("move_in", 1, {"person": WATCHED, "dwelling_id": "D2", "grid_code": AWAY, "household_id": "H2",
                              "reason": "work"}),
              ("priority_movement", 2, {"person": WATCHED, "category": "community_correction",
                                        "assigned_grid": HOME, "responsible_worker": "W-1", "movement": "sighting",
                                        "grid_code": AWAY}),
              ("visitor_registration", 3, {"action": "check_in", "stay_id": "S1", "lodging_code": "L3706140010010201",
                                           "guest": RESIDENT, "party_size": 3, "nights": 1, "origin_region": "110105"})]
    result = store.process([to_item("unit", i, message(*m), m[0]) for i, m in enumerate(intake)])
    assert result.count("accepted") == 4
    reader = LogReader(store, geography)
    items, last = reader.read(0, 1000)
    feeds = {f.department: f for f in load_catalogue(None, geography)}
    keys = {"civil-affairs": b"civil-affairs-key-0123", "public-security": b"public-security-key-01",
            "tourism": b"tourism-key-0123456789"}
    town = parse_entry({**ENTRY, "fields": ["village_code", "occurred_at"]}, 1, geography)
    out = {name: feed_messages(feed, items, last, Pseudonymizer(keys.get(name, b"town-office-key-01234")), set())
           for name, feed in {**feeds, "town-office": town}.items()}
    bodies = {name: [json.loads(m.value) for m in messages] for name, messages in out.items()}
    for name in feeds:
        for body in bodies[name]:
            schema = json.loads((SCHEMAS / name / f"{body['kind']}.schema.json").read_text("utf-8"))
            Draft7Validator(schema).validate(body)
    assert [b["change"] for b in bodies["civil-affairs"]] == ["move_in", "move_in"]
    movements = ["sighting", "left_assigned_grid", "left_assigned_town"]  # seen in another town
    assert [b["movement"] for b in bodies["public-security"]] == movements
    assert {b["kind"] for b in bodies["tourism"]} == {"grid_hour_counts"}
    assert sum(b["visitors_delta"] for b in bodies["tourism"]) == 3
    assert [b["village_code"] for b in bodies["town-office"]] == [HOME[:12]]  # the other move-in is out of scope
    assert set(bodies["town-office"][0]) == {"message_id", "feed", "kind", "schema_version", "person", "change",
                                             "village_code", "occurred_at"}
    watched = store.pseudonymize(WATCHED["id_number"])
    civil, police = bodies["civil-affairs"][1]["person"], bodies["public-security"][0]["person"]
    assert civil == Pseudonymizer(keys["civil-affairs"])(watched)
    assert police == Pseudonymizer(keys["public-security"])(watched)
    assert len({civil, police, watched}) == 3  # no department can join another's feed, or the store, on a person
    assert all(m.key.decode() == json.loads(m.value)["person"] for m in out["civil-affairs"])  # keyed by it
    assert bodies["civil-affairs"][0]["occurred_at"] == "2026-08-01T00:00:00+08:00"  # its precision: the day


def test_a_batch_made_again_gives_the_same_messages_and_an_erased_person_is_forgotten(geography):
    store = Population({}, geography=geography, pseudonymize=Pseudonymizer(b"store-key-" * 4))
    store.process([to_item("unit", 0, message("move_in", 0, {"person": RESIDENT, "dwelling_id": "D1",
                                                              "grid_code": HOME, "household_id": "H1",
                                                              "reason": "new_home"}), "move_in")])
    feed = next(f for f in load_catalogue(None, geography) if f.department == "civil-affairs")
    pseudonymize = Pseudonymizer(b"civil-affairs-key-0123")
    items, last = LogReader(store, geography).read(0, 1000)
    first = feed_messages(feed, items, last, pseudonymize, set())
    assert feed_messages(feed, LogReader(store, geography).read(0, 1000)[0], last, pseudonymize, set()) == first
    resident = store.pseudonymize(RESIDENT["id_number"])
    store.forget(resident, reason="request", requested_by="unit")
    reader = LogReader(store, geography)
    items, last = reader.read(0, 1000)
    after = [json.loads(m.value) for m in feed_messages(feed, items, last, pseudonymize, reader.erased({resident}))]
    assert [(b["kind"], b["person"]) for b in after] == [("residency_change", "forgotten"),
                                                         ("erasure", pseudonymize(resident))]
    assert Path(SCHEMAS / "civil-affairs" / "erasure.schema.json").exists()
