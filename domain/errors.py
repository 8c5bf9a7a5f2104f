"""Why an intake message was refused. Every reject carries one stable reason code (documented in README): the
class's `reason`; its docstring is the meaning shown in the README's table."""
from __future__ import annotations


class Rejected(Exception):
    """A message the model refuses; `reason` is a stable code shown in the dead-letter topic and the CLI."""

    reason = "rejected"

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.reason)
        self.detail = detail


# -- refused while reading the message (streams layer) ---------------------------------------------------------
class EmptyMessage(Rejected):
    """The record has no value: null (a Kafka tombstone) or zero bytes."""

    reason = "empty_message"


class MalformedJson(Rejected):
    """The bytes are not a JSON object."""

    reason = "malformed_json"


class UnknownKind(Rejected):
    """The envelope's kind is not one gridflow ingests."""

    reason = "unknown_kind"


class WrongTopic(Rejected):
    """The kind does not belong on the topic it arrived on."""

    reason = "wrong_topic"


class SchemaViolation(Rejected):
    """The message does not follow the kind's JSON Schema."""

    reason = "schema_violation"


class InvalidTime(Rejected):
    """A time or date that has the right shape but is no real instant (30 February, offset +99:99)."""

    reason = "invalid_time"


class OutsideTimeWindow(Rejected):
    """Business time outside the accepted window: before 1970-01-01, or more than a day after it was received."""

    reason = "outside_time_window"


class InvalidIdNumber(Rejected):
    """An ID number fails GB 11643 (shape, birth date, check digit)."""

    reason = "invalid_id_number"


class PersonalDataInIdentifier(Rejected):
    """An identifier (source, dwelling, household, lease, stay, lodging, worker) holds an ID number or a name."""

    reason = "personal_data_in_identifier"


class MessageIdReused(Rejected):
    """A message id already applied, republished with other content."""

    reason = "message_id_reused"


class Unprocessable(Rejected):
    """Well-formed, but processing it failed unexpectedly; isolated so the rest of its batch proceeds."""

    reason = "unprocessable"


# -- refused by the model (domain rules) -----------------------------------------------------------------------
class UnknownGrid(Rejected):
    """The grid code is not in the reference geography."""

    reason = "unknown_grid"


class GridNotInForce(Rejected):
    """The grid was split or merged away, or not yet created, at the message's date."""

    reason = "grid_not_in_force"


class UnknownLodging(Rejected):
    """The lodging establishment is not in the reference geography."""

    reason = "unknown_lodging"


class UnknownCategory(Rejected):
    """The priority-person category is not in the configured list."""

    reason = "unknown_category"


class AlreadyResident(Rejected):
    """Move-in into the dwelling the person already lives in."""

    reason = "already_resident"


class NotResident(Rejected):
    """Move-out repeating a departure already recorded (no registration to end)."""

    reason = "not_resident"


class DwellingMismatch(Rejected):
    """Move-out from another dwelling, dated before the current registration."""

    reason = "dwelling_mismatch"


class OutOfOrder(Rejected):
    """A late message that cannot be placed in business time without rewriting history."""

    reason = "out_of_order"


class LeaseExists(Rejected):
    """Start of a lease id that already started."""

    reason = "lease_exists"


class LeaseOverlap(Rejected):
    """A lease overlapping in time another lease of the same dwelling."""

    reason = "lease_overlap"


class UnknownLease(Rejected):
    """End of a lease that never started."""

    reason = "unknown_lease"


class LeaseAlreadyEnded(Rejected):
    """End of a lease that has already ended."""

    reason = "lease_already_ended"


class EndBeforeStart(Rejected):
    """A lease end (or planned end) or stay check-out dated before its start."""

    reason = "end_before_start"


class AlreadyCheckedIn(Rejected):
    """Check-in of a stay id that is already checked in."""

    reason = "already_checked_in"


class StayNotFound(Rejected):
    """Check-out of a stay that never checked in."""

    reason = "stay_not_found"


class AlreadyCheckedOut(Rejected):
    """Check-out of a stay that has already checked out."""

    reason = "already_checked_out"


class UnknownScenicArea(Rejected):
    """The scenic area is not in the reference geography."""

    reason = "unknown_scenic_area"


class IntervalAlreadyCounted(Rejected):
    """A gate count for an interval of a scenic area already counted."""

    reason = "interval_already_counted"


REASONS: dict[str, str] = {cls.reason: cls.__doc__ or "" for cls in Rejected.__subclasses__()}
