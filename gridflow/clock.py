"""The clock's part of the model: facts that become true because time passed (a stay left open past its
declared nights). Candidates come from the read model; the aggregates decide and record; the projector follows
(the caller's: in `gridflow serve` it runs in its own thread)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.application import Population
from projections import queries


def record_open_stays(app: Population, client: Any, as_of: datetime) -> tuple[int, int]:
    """(candidates, recorded) for one sweep at business time `as_of`."""
    candidates = queries.open_stays_due(client, as_of)
    return len(candidates), app.record_open_stays(candidates, as_of) if candidates else 0
