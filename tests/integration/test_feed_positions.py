"""Feed positions beside the real stores (a file next to SQLite, a table and an advisory lock in PostgreSQL): saved
together, read back, and one publisher at a time — the lock goes with the process or session that held it."""
from __future__ import annotations

import pytest

from feeds.positions import FeedPosition, PostgresPositions, PublisherBusy, SqlitePositions


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_positions_are_saved_together_and_one_publisher_holds_the_lock(request, store, tmp_path):
    def open_positions():
        if store == "sqlite":
            return SqlitePositions(tmp_path / "events.sqlite")
        return PostgresPositions(request.getfixturevalue("pg_url"))

    first = open_positions()
    first.lock()
    first.save([FeedPosition("tourism", 40, {0: 12, 3: 7}), FeedPosition("civil-affairs", 40, {1: 3})])
    first.save([FeedPosition("tourism", 80, {0: 20, 3: 9})])
    second = open_positions()
    with pytest.raises(PublisherBusy, match="another feed publisher runs on this store"):
        second.lock()
    loaded = second.load()
    assert {k: (v.position, v.offsets) for k, v in loaded.items()} == {"tourism": (80, {0: 20, 3: 9}),
                                                                       "civil-affairs": (40, {1: 3})}
    assert loaded["tourism"].updated_at
    first.close()
    second.lock()  # released with the first publisher
    second.close()
