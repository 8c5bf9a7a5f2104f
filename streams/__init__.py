"""Kafka side of gridflow: topics, message contract, producers, the intake worker, dead letters."""
