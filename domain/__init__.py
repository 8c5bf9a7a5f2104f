"""Pure event-sourced model of population flow in grid governance (no Kafka, no ClickHouse here)."""
