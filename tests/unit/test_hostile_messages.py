"""Messages a hostile or broken producer sends: each becomes a reject with a reason code (or a masked value),
never an exception out of the contract."""
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from domain import commands as c
from domain import errors
from domain.privacy import ID_MASK, NAME_MASK, PHONE_MASK
from streams.contract import parse, to_item
from tests.unit.test_contract import envelope

RECEIVED = datetime(2026, 8, 2, tzinfo=UTC)


def reason_for(message: dict | bytes | None, kind: str = "move_in") -> str:
    value = message if message is None or isinstance(message, bytes) else orjson.dumps(message)
    item = to_item("test:0", 0, value, kind, RECEIVED)
    return item.rejected.reason if item.rejected else "accepted"


@pytest.mark.parametrize("occurred_at", ["2026-02-30T09:00:00+08:00", "2026-08-01T09:00:00+99:99",
                                         "2026-08-01T25:00:00Z", "2026-13-01T09:00:00Z"])
def test_a_time_with_the_right_shape_that_is_no_real_instant_is_invalid(occurred_at):
    assert reason_for({**envelope(), "occurred_at": occurred_at}) == "invalid_time"


def test_a_planned_lease_end_that_is_no_calendar_date_is_invalid():
    lease = envelope("rental", action="start", lease_id="L1", landlord={"id_number": "11010519491231002X"},
                     tenants=[{"id_number": "11010519491231002X"}], planned_end="2027-02-30")
    for key in ("person", "household_id", "reason"):
        lease["payload"].pop(key)
    assert reason_for(lease, "rental") == "invalid_time"
    lease["payload"]["planned_end"] = "9999-12-31"
    assert reason_for(lease, "rental") == "outside_time_window"


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-08:00",
                                         "1969-12-31T23:59:59Z", "2026-08-03T00:00:01Z"])
def test_business_time_outside_the_window_is_refused(occurred_at):
    assert reason_for({**envelope(), "occurred_at": occurred_at}) == "outside_time_window"


def test_a_message_a_day_ahead_of_its_receipt_is_still_taken():
    assert reason_for({**envelope(), "occurred_at": (RECEIVED + timedelta(hours=23)).isoformat()}) == "accepted"


@pytest.mark.parametrize("value, reason", [(None, "empty_message"), (b"", "empty_message"),
                                           (b"\xff\xfe\x00", "malformed_json"), (b'"\\ud800"', "malformed_json"),
                                           (b"{" * 10_000, "malformed_json"), (b"1e999999", "malformed_json"),
                                           (b'{"kind": ["move_in"]}', "unknown_kind"),
                                           (b'{"kind": "move_in", "payload": 7}', "schema_violation")])
def test_bytes_that_are_no_message_are_refused_with_a_reason(value, reason):
    assert reason_for(value) == reason


def test_an_identifier_holding_an_id_number_is_refused_without_echoing_it():
    item = to_item("test:0", 0, orjson.dumps(envelope(household_id="户主11010519491231002X")), "move_in", RECEIVED)
    assert item.rejected.reason == "personal_data_in_identifier"
    assert "11010519491231002X" not in item.rejected.detail


def test_free_text_is_masked_for_id_numbers_phones_and_the_messages_own_names():
    message = envelope("priority_movement", person={"id_number": "11010519491231002X", "name": "王小明"},
                       category="community_correction", assigned_grid="37061400100101", responsible_worker="W1",
                       movement="sighting", grid_code="37061400100101",
                       place="王小明 身份证11010519491231002X 手机13912345678 在蓬莱阁")
    for key in ("dwelling_id", "household_id", "reason"):
        message["payload"].pop(key)
    command = parse(orjson.dumps(message), "priority_movement", RECEIVED)
    assert isinstance(command, c.PriorityMovement)
    assert command.place == f"{NAME_MASK} 身份证{ID_MASK} 手机{PHONE_MASK} 在蓬莱阁"
    assert command.person.name == "王小明"  # identity fields are sealed in the store, not masked


def test_the_same_content_has_the_same_digest_whatever_its_formatting():
    one = orjson.dumps(envelope())
    other = orjson.dumps(envelope(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    changed = orjson.dumps(envelope(dwelling_id="D2"))
    digest = [to_item("t:0", 0, value, "move_in", RECEIVED).digest for value in (one, other, changed)]
    assert digest[0] == digest[1] != digest[2]


def test_nothing_a_producer_sends_makes_the_contract_raise():
    """Random mutations of a valid envelope: every one is an item (a command or a reject), never an exception."""
    import random

    rng, base = random.Random(7), orjson.dumps(envelope())
    junk = ["\u202e", "\u200b", "\x00", "\n", "𝔘", "٣", "null", "-1", "1e308", "[]", "{}", '"', "\\"]
    for _ in range(3000):
        value = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(value))
            if rng.random() < 0.5:
                value[at:at + rng.randint(0, 3)] = rng.choice(junk).encode()
            else:
                value[at] = rng.randrange(256)
        item = to_item("test:0", 0, bytes(value), "move_in", RECEIVED)
        assert (item.command is None) != (item.rejected is None)
        if item.rejected is not None:
            assert item.rejected.reason in errors.REASONS
