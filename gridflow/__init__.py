"""gridflow composition root: configuration, CLI, embedded runtime wiring the rooms together."""
