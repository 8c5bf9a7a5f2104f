"""The orjson transcoder reads what the library's JSON transcoder wrote (the store fixture of an earlier release,
snapshots included) and writes what it reads, value for value."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from domain.application import SetAsSortedList
from gridflow.bootstrap import bootstrap
from stores.transcoder import OrjsonTranscoder
from tests.conftest import make_config

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures"


def transcoder(cls: type) -> JSONTranscoder:
    made = cls()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), SetAsSortedList()):
        made.register(transcoding)
    return made


def test_events_and_snapshots_written_as_json_read_the_same_with_orjson_and_back(tmp_path, geography):
    expected = json.loads((FIXTURE / "store-2026-11.json").read_text())
    (tmp_path / "gf").mkdir()
    shutil.copy(FIXTURE / "store-2026-11.sqlite", tmp_path / "gf" / "events.sqlite")
    config = make_config(tmp_path / "gf", **{k: v for k, v in expected["env"].items() if k != "GRIDFLOW_DATA_DIR"})
    store = bootstrap(config, geography).store
    assert isinstance(store.mapper.transcoder, OrjsonTranscoder)
    cipher = store.mapper.cipher
    states = [cipher.decrypt(n.state) for n in store.recorder.select_notifications(start=1, limit=10**6)]
    states += [cipher.decrypt(s.state) for a in expected["snapshotted"] for s in
               store.snapshots.recorder.select_events(UUID(a))]
    library, ours = transcoder(JSONTranscoder), transcoder(OrjsonTranscoder)
    for state in states:
        value = library.decode(state)
        assert ours.decode(state) == value
        assert library.decode(ours.encode(value)) == value and ours.decode(ours.encode(value)) == value
    assert len(states) > 700
