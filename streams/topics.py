"""Intake topics: one per event kind, created with explicit configs and their final partition count
(Tansu has no CreatePartitions, and changing partitions would break per-subject ordering anyway)."""
from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    kind: str | None  # the envelope kind carried; None for the dead-letter topic
    partitions: int
    key: str  # what producers key by, so one subject's messages stay in order
    retention_days: int

    @property
    def configs(self) -> dict[str, str]:
        # The broker's clock stamps each record: how long it waited (intake_ledger.waited_ms, the 接入延迟 rule)
        # then does not depend on a feed's clock or on what timestamp a producer chose to send.
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_days * DAY_MS),
                "message.timestamp.type": "LogAppendTime"}


# Intake topics hold plaintext personal data from the feeds: keep them short-lived (7 days); the encrypted
# event store is the record.
PERSON_KEY = "person reference in the source system (never the ID number)"
INTAKE = (
    TopicSpec("gridflow.intake.move-in", "move_in", 4, PERSON_KEY, 7),
    TopicSpec("gridflow.intake.move-out", "move_out", 4, PERSON_KEY, 7),
    TopicSpec("gridflow.intake.rental", "rental", 4, "dwelling_id (one dwelling's leases stay in order)", 7),
    TopicSpec("gridflow.intake.visitor", "visitor_registration", 4, "stay_id", 7),
    TopicSpec("gridflow.intake.priority", "priority_movement", 2, PERSON_KEY, 7),
    TopicSpec("gridflow.intake.scenic-gate", "scenic_gate", 1, "scenic area code", 7),
)
DEAD_LETTER = TopicSpec("gridflow.dead-letter", None, 1, "original key", 30)
ALL = (*INTAKE, DEAD_LETTER)
TOPIC_OF_KIND = {t.kind: t.name for t in INTAKE}
KIND_OF_TOPIC = {t.name: t.kind for t in INTAKE}


def ensure_topics(bootstrap: str, specs: tuple[TopicSpec, ...] = ALL) -> list[str]:
    """Create missing topics; return the names created. Existing topics are left as they are."""
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="gridflow-admin")
    try:
        existing = set(admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            admin.create_topics([NewTopic(s.name, s.partitions, 1, topic_configs=s.configs) for s in missing])
        return [s.name for s in missing]
    finally:
        admin.close()
