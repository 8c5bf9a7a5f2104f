"""The README is the contract for external producers: it must name every topic and every reject reason."""
from pathlib import Path

from domain.errors import REASONS
from streams.topics import ALL

README = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")


def test_every_reject_reason_is_documented():
    missing = [code for code in REASONS if f"| `{code}` |" not in README]
    assert missing == []


def test_every_topic_is_documented_with_its_partitions():
    for topic in ALL:
        assert f"| `{topic.name}` |" in README
        row = next(line for line in README.splitlines() if line.startswith(f"| `{topic.name}` |"))
        assert f"| {topic.partitions} |" in row


def test_the_quick_start_has_exactly_the_two_commands():
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make demo", "make test"]
