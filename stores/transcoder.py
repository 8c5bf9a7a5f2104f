"""A transcoder with orjson underneath, writing and reading exactly what eventsourcing's JSONTranscoder writes and
reads (the same `{"_type_": …, "_data_": …}` wrappers for datetimes, UUIDs, sets …), so events and snapshots stored
by either read with the other. orjson writes natively what the wrappers cover except UUIDs, which our state holds
only at the top level (a snapshot's `_id`): those are wrapped before encoding."""
from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import JSONTranscoder

OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        if type(obj) is dict and any(type(v) is UUID for v in obj.values()):
            obj = {k: self._encode_obj(v) if type(v) is UUID else v for k, v in obj.items()}
        return orjson.dumps(obj, default=self._encode_obj, option=OPTIONS)

    def decode(self, data: bytes) -> Any:
        return self._revive(orjson.loads(data))

    def _revive(self, value: Any) -> Any:
        """What json's object_hook does for JSONTranscoder, after the fact: innermost wrappers first."""
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._revive(item)
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._decode_obj(value)
            return value
        if type(value) is list:
            for index, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[index] = self._revive(item)
        return value
