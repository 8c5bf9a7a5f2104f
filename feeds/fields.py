"""What a feed can carry: its message kinds, the event kinds each is made of, and every field with its meaning.
The published JSON Schema of each feed's message kinds is generated from these and the catalogue's choices."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
RESIDENCY = ("move_in", "move_out", "move_out_settled")
PRIORITY = tuple(f"priority_{m}" for m in ("sighting", "lodging_check_in", "transport", "visit")) + tuple(
    f"priority_{verb}_assigned_{level}" for verb in ("left", "returned_to") for level in ("grid", "town", "district"))
VISITOR = ("visitor_check_in", "visitor_check_out", "visitor_left_open")
LEASE = ("lease_start", "lease_end")
PRECISIONS = ("minute", "hour", "day")

_TIME = {"type": "string", "format": "date-time",
         "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+08:00$"}
_COUNT = {"type": "integer"}


@dataclass(frozen=True)
class Field:
    schema: dict[str, Any]
    description: str


FIELDS: dict[str, Field] = {
    "message_id": Field({"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"},
                        "消息编号，同一消息重发时不变 / message id, the same when a message is sent again"),
    "feed": Field({"type": "string"}, "接收部门 / the receiving department"),
    "kind": Field({"type": "string"}, "消息种类 / message kind"),
    "schema_version": Field({"const": SCHEMA_VERSION}, "本模式的版本 / version of this schema"),
    "person": Field({"type": "string", "pattern": "^([0-9a-f]{32}|forgotten)$"},
                    "本部门专用的人员假名（HMAC），不能与其他部门的假名关联；已删除的人员为 forgotten / the "
                    "person's pseudonym for this department only (keyed HMAC); `forgotten` once erased"),
    "change": Field({"type": "string"}, "变动 / the change: move_in, move_out, move_out_settled"),
    "movement": Field({"type": "string"}, "动态 / the movement (sighting, left_assigned_grid, …)"),
    "occurred_at": Field(_TIME, "业务时间（北京时间，按本数据集的精度截断）/ business time, Asia/Shanghai, "
                                "truncated to the feed's precision"),
    "recorded_at": Field(_TIME, "记录时间（北京时间，按精度截断）/ when gridflow recorded it, same precision"),
    "town_code": Field({"type": "string", "pattern": "^([0-9]{9})?$"}, "乡镇（街道）代码 / town or street code"),
    "village_code": Field({"type": "string", "pattern": "^([0-9]{12})?$"}, "村（社区）代码 / village code"),
    "grid_code": Field({"type": "string", "pattern": "^([0-9]{14})?$"},
                       "网格代码；区外为空 / grid code; empty outside the district"),
    "reason": Field({"type": "string", "maxLength": 64}, "迁入或迁出原因 / reason of the move"),
    "region": Field({"type": "string", "pattern": "^([0-9]{6})?$"},
                    "迁出地或迁往地区划代码 (GB/T 2260)，区内迁移为本区代码 / region moved from (move-in) or to "
                    "(move-out); a move within the district gives the district's code"),
    "category": Field({"type": "string", "maxLength": 64}, "重点人员类别 / priority-person category"),
    "assigned_grid": Field({"type": "string", "pattern": "^([0-9]{14})?$"}, "责任网格 / the assigned grid"),
    "place": Field({"type": "string", "maxLength": 128},
                   "地点说明（证件号、手机号、姓名已屏蔽）/ place as typed, ID and phone numbers and names masked"),
    "erased_at": Field(_TIME, "删除时间 / when the person's data was erased (PIPL)"),
    "hour": Field(_TIME, "小时起点（北京时间）/ start of the hour, Asia/Shanghai"),
    "area_code": Field({"type": "string", "maxLength": 16}, "景区代码 / scenic area code"),
    "move_ins": Field(_COUNT, "本批迁入人数 / move-ins in this batch"),
    "move_outs": Field(_COUNT, "本批迁出人数 / move-outs in this batch"),
    "residents_delta": Field(_COUNT, "本批常住人口变化 / change of residents in this batch"),
    "lease_starts": Field(_COUNT, "本批新增租约 / leases started"),
    "lease_ends": Field(_COUNT, "本批结束租约 / leases ended"),
    "check_ins": Field(_COUNT, "本批入住登记数 / check-ins (stays)"),
    "check_outs": Field(_COUNT, "本批退房数 / check-outs (stays)"),
    "visitor_arrivals": Field(_COUNT, "本批入住旅客人数 / lodged visitors arriving (persons)"),
    "visitor_departures": Field(_COUNT, "本批离店旅客人数（含逾期未退房）/ lodged visitors leaving, stays left "
                                        "open included (persons)"),
    "visitors_delta": Field(_COUNT, "本批在店旅客变化；累加即为在店人数 / change of lodged visitors present; "
                                    "summed over all messages it is the number present"),
    "entries": Field(_COUNT, "本批景区入园人次 / scenic-area entries"),
    "exits": Field(_COUNT, "本批景区出园人次 / scenic-area exits"),
}
ENVELOPE = ("message_id", "feed", "kind", "schema_version")


@dataclass(frozen=True)
class MessageKind:
    name: str
    title: str
    granularity: str  # events (pseudonymised) | counts (per grid or scenic area and hour)
    key: str  # the field the Kafka key holds
    fixed: tuple[str, ...]  # always carried
    optional: tuple[str, ...]  # carried when the feed's catalogue entry names them
    event_kinds: tuple[str, ...]


COUNTERS = {"move_ins": ("move_in",), "move_outs": ("move_out",), "residents_delta": RESIDENCY,
            "lease_starts": ("lease_start",), "lease_ends": ("lease_end",), "check_ins": ("visitor_check_in",),
            "check_outs": ("visitor_check_out",), "visitor_arrivals": ("visitor_check_in",),
            "visitor_departures": VISITOR[1:], "visitors_delta": VISITOR}
MESSAGE_KINDS = {m.name: m for m in (
    MessageKind("residency_change", "常住人口变动 / residency change", "events", "person",
                (*ENVELOPE, "person", "change"),
                ("occurred_at", "recorded_at", "town_code", "village_code", "grid_code", "reason", "region"),
                RESIDENCY),
    MessageKind("priority_movement", "重点人员动态 / priority-person movement", "events", "person",
                (*ENVELOPE, "person", "movement"),
                ("occurred_at", "recorded_at", "town_code", "village_code", "grid_code", "category", "assigned_grid",
                 "place"), PRIORITY),
    MessageKind("erasure", "人员信息删除（墓碑）/ erasure tombstone: delete everything held under this pseudonym",
                "events", "person", (*ENVELOPE, "person", "erased_at"), (), ()),
    MessageKind("grid_hour_counts", "网格小时计数 / counts per grid and hour", "counts", "grid_code",
                (*ENVELOPE, "grid_code", "village_code", "town_code", "hour"), tuple(COUNTERS),
                RESIDENCY + LEASE + VISITOR),
    MessageKind("scenic_hour_counts", "景区小时计数 / counts per scenic area and hour", "counts", "area_code",
                (*ENVELOPE, "area_code", "grid_code", "town_code", "hour"), ("entries", "exits"), ("scenic_gate",)),
)}
MESSAGE_KIND_OF = {(m.granularity, k): m.name for m in MESSAGE_KINDS.values() for k in m.event_kinds}


def event_kinds(granularity: str) -> list[str]:
    return [k for (g, k) in MESSAGE_KIND_OF if g == granularity]


def schema_of(department: str, title: str, kind: MessageKind, fields: tuple[str, ...],
              event_kinds_chosen: tuple[str, ...]) -> dict[str, Any]:
    """The JSON Schema (draft-07) of one message kind of one feed: exactly the fields it carries, all required."""
    names = kind.fixed + tuple(f for f in kind.optional if f in fields)
    properties = {name: {**FIELDS[name].schema, "description": FIELDS[name].description} for name in names}
    properties["feed"]["const"] = department
    properties["kind"]["const"] = kind.name
    chosen = [k for k in kind.event_kinds if k in event_kinds_chosen]
    if "change" in properties:
        properties["change"]["enum"] = chosen
    if "movement" in properties:
        properties["movement"]["enum"] = [k.removeprefix("priority_") for k in chosen]
    return {"$schema": "http://json-schema.org/draft-07/schema#",
            "$id": f"https://gridflow.invalid/feeds/{department}/{kind.name}.schema.json",
            "title": f"{title}: {kind.title}",
            "description": f"Kafka topic gridflow.feed.{department}, key: the `{kind.key}` field.",
            "type": "object", "additionalProperties": False, "required": list(names), "properties": properties}
