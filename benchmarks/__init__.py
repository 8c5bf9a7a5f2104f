"""Benchmarks: scripts that measure the running system and print figures (entrypoints, like the CLI)."""
