"""Kafka side of gridflow: topics, message contract, producers, the faust intake worker, dead letters."""
