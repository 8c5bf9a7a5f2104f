"""Why an intake message was refused. Every reject carries one stable reason code (documented in README)."""
from __future__ import annotations


class Rejected(Exception):
    """A message the model refuses; `reason` is a stable code shown in the dead-letter topic and the CLI."""

    reason = "rejected"

    def __init__(self, detail: str = ""):
        super().__init__(detail or self.reason)
        self.detail = detail


def _reason(code: str, doc: str) -> type[Rejected]:
    return type("".join(p.title() for p in code.split("_")), (Rejected,), {"reason": code, "__doc__": doc})


# Refused while reading the message (streams layer)
MalformedJson = _reason("malformed_json", "The bytes are not a JSON object.")
UnknownKind = _reason("unknown_kind", "The envelope's kind is not one gridflow ingests.")
WrongTopic = _reason("wrong_topic", "The kind does not belong on the topic it arrived on.")
SchemaViolation = _reason("schema_violation", "The message does not follow the kind's JSON Schema.")
InvalidIdNumberReject = _reason("invalid_id_number", "An ID number fails GB 11643 (shape, birth date, check digit).")
# Refused by the model (domain rules)
UnknownGrid = _reason("unknown_grid", "The grid code is not in the reference geography.")
GridNotInForce = _reason("grid_not_in_force", "The grid was split or merged away, or not yet created, at the message's date.")
UnknownLodging = _reason("unknown_lodging", "The lodging establishment is not in the reference geography.")
UnknownCategory = _reason("unknown_category", "The priority-person category is not in the configured list.")
AlreadyResident = _reason("already_resident", "Move-in into the dwelling the person already lives in.")
NotResident = _reason("not_resident", "Move-out repeating a departure already recorded (no registration to end).")
DwellingMismatch = _reason("dwelling_mismatch", "Move-out from another dwelling, dated before the current registration.")
OutOfOrder = _reason("out_of_order", "A late message that cannot be placed in business time without rewriting history.")
LeaseExists = _reason("lease_exists", "Start of a lease id that already started.")
LeaseOverlap = _reason("lease_overlap", "A lease overlapping in time another lease of the same dwelling.")
UnknownLease = _reason("unknown_lease", "End of a lease that never started.")
LeaseAlreadyEnded = _reason("lease_already_ended", "End of a lease that has already ended.")
EndBeforeStart = _reason("end_before_start", "A lease end or stay check-out dated before its start.")
AlreadyCheckedIn = _reason("already_checked_in", "Check-in of a stay id that is already checked in.")
StayNotFound = _reason("stay_not_found", "Check-out of a stay that never checked in.")
UnknownScenicArea = _reason("unknown_scenic_area", "The scenic area is not in the reference geography.")
IntervalAlreadyCounted = _reason("interval_already_counted", "A gate count for an interval of a scenic area already counted.")
AlreadyCheckedOut = _reason("already_checked_out", "Check-out of a stay that has already checked out.")

REASONS: dict[str, str] = {cls.reason: cls.__doc__ or "" for cls in Rejected.__subclasses__()}
