"""Governed feeds to other departments: a catalogue of what each receives, pseudonymised per department or counted
per grid and hour, published from the event store's notification log to one Kafka topic per department."""
