"""The population-flow model: an index of its aggregates (each in a module of its own) and the rules they share.

Style of the eventsourcing examples: commands check invariants with small `check_*` methods that raise named
errors (domain.errors), then trigger a named event whose body only changes state (it also runs on replay).
Every aggregate remembers the intake messages it has applied, so a message delivered twice has one effect.

Business time: events carry `occurred_at` (when it happened) besides the store's own recording timestamp.
Ordering rules (what may arrive late):
- a move-out may arrive before the move-in it ends (intake topics are separate); when it names a registration
  we do not know and is dated after everything we know, it is recorded as *unmatched* (no change of state, no
  population effect) and the late move-in is placed before it when it comes (ending, implicitly, whatever
  registration was current then); a repeated departure from the dwelling last left is `not_resident`;
- a move-out may arrive after a later move-in elsewhere already ended that registration implicitly; it is
  recorded as confirming that move-out (its date and reason), with no second change of registration;
- any other residency message dated before the person's latest residency fact is refused as `out_of_order`;
- lease end / stay check-out must be dated at or after their start (`end_before_start`);
- leases of one dwelling may not overlap in business time (`lease_overlap`); one dwelling's lease messages share
  a Kafka key, so they arrive in order; a late lease that fits wholly before the others (by its planned end) is
  accepted; a tenant's move-in and the lease travel on different topics, so whichever comes second links them;
- a late priority-person sighting is recorded where it happened, but only the newest one moves "last known
  grid" or derives left/returned-to-area events (a late sighting tells where they were, not where they are);
- a message naming a grid is judged by the grid drawn on its business date (`grid_not_in_force`), so history
  keeps the old grid after a split or merge;
- time passing is a fact source too: a stay with no check-out past its declared nights (+ grace) is recorded as
  `LeftOpen` by the clock, and a check-out arriving after that is still accepted.
"""
from __future__ import annotations

# Events stored before the model was split carry topics `domain.model:<Aggregate>.<Event>`; naming the classes here
# keeps those topics resolving to them (tests/integration/test_stored_topics.py reads such a store).
from domain.aggregates import DuplicateMessage, IntakeAggregate, aggregate_id
from domain.ledgers import Erasure, IntakeCursor
from domain.priority import AREA_LEVELS, PriorityPerson
from domain.rentals import Lease
from domain.residency import Dwelling, Person
from domain.visitors import STAY_GRACE, ScenicDay, VisitorStay

__all__ = ["AREA_LEVELS", "STAY_GRACE", "DuplicateMessage", "Dwelling", "Erasure", "IntakeAggregate", "IntakeCursor",
           "Lease", "Person", "PriorityPerson", "ScenicDay", "VisitorStay", "aggregate_id"]
