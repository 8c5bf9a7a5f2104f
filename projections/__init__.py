"""ClickHouse read models projected from the event store's notification log."""
