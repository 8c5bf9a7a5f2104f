"""What people read about each alert rule, in Chinese first and in English: a title, a summary template whose named
fields come from the alert's evidence, short guidance (what to do), and labelled facts. Figures derived from the
evidence (a load as a share of capacity, its LB/T 034-2014 tier) are computed here from that same evidence, so the
words never disagree with the numbers: the summary stored when an alert was raised goes stale when the rule fires
again with other figures (`Repeated`), the evidence does not."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.geography import CAPACITY_TIERS, Geography

LANGUAGES = ("zh", "en")
LEVEL_NAMES = {"grid": ("网格", "grid"), "town": ("镇街", "town"), "district": ("区", "district")}
SEVERITY_NAMES = {"red": ("红色", "red"), "orange": ("橙色", "orange"), "yellow": ("黄色", "yellow")}


@dataclass(frozen=True)
class T:
    """One text in both languages."""
    zh: str
    en: str

    def __getitem__(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class RuleTexts:
    title: T
    summary: T  # str.format fields: the evidence's and the derived ones (DERIVED)
    guidance: T
    evidence: tuple[str, ...]  # the fields the rule's evidence carries (the columns its SQL returns besides labels)
    facts: tuple[tuple[T, str], ...]  # (label, value template) shown as labelled values, in this order
    labels: dict[str, T] = field(default_factory=dict)  # every evidence field, for evidence shown field by field


DERIVED = ("load_pct", "tier", "level_label", "lodging_name", "lodging_grid_name", "scenic_area_name")
_LOAD = (T("负荷（LB/T 034-2014 分级）", "Load (LB/T 034-2014 tier)"), "{load_pct} % · {tier}")


def _scenic(title: T, measure: T, capacity: T) -> RuleTexts:
    return RuleTexts(
        title, T(f"{{scenic_area_name}}{measure.zh} {{value}} 人，为{capacity.zh} {{capacity}} 人的 {{load_pct}} %",
                 f"{{scenic_area_name}}: {measure.en} {{value}}, {{load_pct}} % of its {capacity.en} of {{capacity}}"),
        T("按景区预案分流限流：≥90 % 暂停售票并引导分流，≥100 % 停止入园；通知镇街和景区管理方。",
          "Follow the site's plan: at 90 % pause ticket sales and divert, at 100 % stop admissions; inform the town "
          "and the site's management."),
        ("scenic_area", "capacity", "value"),
        ((T("景区", "Scenic area"), "{scenic_area_name}"), (T(f"{measure.zh} / {capacity.zh}",
                                                             f"{measure.en} / {capacity.en}"), "{value} / {capacity}"),
         _LOAD),
        {"scenic_area": T("景区", "scenic area"), "capacity": capacity, "value": measure})


TEXTS: dict[str, RuleTexts] = {
    "scenic_instant_load": _scenic(T("景区瞬时承载量预警", "Scenic area: instantaneous load"),
                                   T("在园游客", "visitors inside"), T("瞬时最大承载量", "instantaneous capacity")),
    "scenic_daily_load": _scenic(T("景区日承载量预警", "Scenic area: daily load"),
                                 T("今日入园人次", "entries today"), T("日最大承载量", "daily capacity")),
    "grid_lodging_load": RuleTexts(
        T("网格住宿游客负荷预警", "Lodged visitors near the grid's beds"),
        T("网格内住宿游客 {value} 人，床位 {beds} 张，负荷 {load_pct} %",
          "{value} lodged visitors for {beds} beds in the grid: {load_pct} %"),
        T("核实各旅馆、民宿在住登记，发现未登记或超床位接待的报镇街；提醒游客错峰。",
          "Check the lodgings' registrations; report unregistered or over-capacity guests to the town."),
        ("beds", "value"),
        ((T("住宿游客 / 床位", "Lodged visitors / beds"), "{value} / {beds}"), _LOAD),
        {"beds": T("床位", "beds"), "value": T("住宿游客", "lodged visitors")}),
    "inflow_surge": RuleTexts(
        T("网格人口流入激增", "Inflow surge in the grid"),
        T("7 天内新迁入及新承租 {value} 人，超过本网格前 4 周周均的 2 倍",
          "{value} new residents and tenants in 7 days, more than twice the grid's weekly average of the 4 weeks "
          "before"),
        T("走访新入住房屋，核对登记信息；出租屋集中的，检查租赁备案。",
          "Visit the newly occupied dwellings and check their registrations; where rentals cluster, check the "
          "lease records."),
        ("value",),
        ((T("7 天新增人数", "New in 7 days"), "{value}"),),
        {"value": T("7 天新增人数", "new in 7 days")}),
    "over_occupied_dwelling": RuleTexts(
        T("房屋超员居住", "Dwelling over-occupied"),
        T("房屋 {dwelling} 登记居住 {value} 人，超过申报可住 {capacity} 人",
          "Dwelling {dwelling}: {value} registered occupants for a declared capacity of {capacity}"),
        T("上门核实实际居住人数；督促房东按申报可住人数整改，涉及群租的报镇街。",
          "Visit and count who actually lives there; have the landlord keep to the declared capacity, report "
          "group renting to the town."),
        ("dwelling", "capacity", "value"),
        ((T("房屋", "Dwelling"), "{dwelling}"), (T("登记居住 / 可住", "Occupants / capacity"), "{value} / {capacity}")),
        {"dwelling": T("房屋", "dwelling"), "capacity": T("可住人数", "capacity"),
         "value": T("登记居住", "occupants")}),
    "group_rental": RuleTexts(
        T("疑似群租", "Possible group rental"),
        T("房屋 {dwelling} 一份租约下登记 {value} 名承租人", "Dwelling {dwelling}: {value} tenants under one lease"),
        T("上门核查租住情况和消防安全；确属群租的，会同镇街依规处置。",
          "Visit and check the tenancy and fire safety; a confirmed group rental is handled with the town."),
        ("dwelling", "value"),
        ((T("房屋", "Dwelling"), "{dwelling}"), (T("承租人数", "Tenants"), "{value}")),
        {"dwelling": T("房屋", "dwelling"), "value": T("承租人数", "tenants")}),
    "priority_left_area": RuleTexts(
        T("重点人员离开责任区域", "Priority person left the assigned area"),
        T("重点人员于 {left_at} 离开责任{level_label}",
          "A priority person left the assigned {level_label} at {left_at}"),
        T("联系本人及监护人核实去向，按管控要求报告公安联络员。",
          "Contact the person or their guardian to confirm where they are; report to the police liaison as "
          "required."),
        ("level", "level_name", "left_at", "value"),
        ((T("离开的区域", "Area left"), "{level_label}"), (T("离开时间", "Left at"), "{left_at}")),
        {"level": T("区域层级", "level"), "level_name": T("区域", "area"), "left_at": T("离开时间", "left at"),
         "value": T("次数", "count")}),
    "priority_lodging_check_in": RuleTexts(
        T("重点人员入住旅馆", "Priority person checked in at a lodging"),
        T("重点人员于 {checked_in_at} 入住{lodging_grid_name}的{lodging_name}",
          "A priority person checked in at {lodging_name} ({lodging_grid_name}) at {checked_in_at}"),
        T("核实入住事由与同住人员，按管控要求报告公安联络员。",
          "Confirm why they stay there and with whom; report to the police liaison as required."),
        ("lodging", "lodging_grid", "checked_in_at", "value"),
        ((T("旅馆", "Lodging"), "{lodging_name}"), (T("所在网格", "Its grid"), "{lodging_grid_name}"),
         (T("入住时间", "Checked in"), "{checked_in_at}")),
        {"lodging": T("旅馆", "lodging"), "lodging_grid": T("所在网格", "its grid"),
         "checked_in_at": T("入住时间", "checked in"), "value": T("次数", "count")}),
    "priority_no_contact": RuleTexts(
        T("重点人员逾期未见面走访", "Priority person not seen or visited"),
        T("重点人员自 {last_contact_day} 起 {value} 天未见面或走访",
          "No sighting or visit of a priority person for {value} days (since {last_contact_day})"),
        T("本月内上门走访（每月至少一次），走访后在系统中登记。",
          "Visit this month (at least once a month) and record the visit."),
        ("last_contact_day", "value"),
        ((T("上次见面或走访", "Last seen or visited"), "{last_contact_day}"), (T("间隔天数", "Days since"), "{value}")),
        {"last_contact_day": T("上次见面或走访", "last seen or visited"), "value": T("间隔天数", "days since")}),
    "stay_left_open": RuleTexts(
        T("旅客逾期未退房", "Stays open past their nights"),
        T("{lodging_name}有 {value} 起住宿逾期未退房", "{lodging_name}: {value} stays open past their declared nights"),
        T("联系旅馆核实旅客是否已离店，督促补录退房登记。",
          "Ask the lodging whether the guests have left, and have it record the check-outs."),
        ("day", "lodging", "value"),
        ((T("旅馆", "Lodging"), "{lodging_name}"), (T("日期", "Day"), "{day}"),
         (T("逾期住宿", "Open stays"), "{value}")),
        {"day": T("日期", "day"), "lodging": T("旅馆", "lodging"), "value": T("逾期住宿", "open stays")}),
}
UNKNOWN_RULE = T("外部预警", "External alert")
UNPLACED = T("未能定位到网格", "Not placed in a grid")


def grid_name(geo: Geography, grid_code: str, lang: str = "zh") -> str:
    """A grid has no name of its own: its village's name and its number in the village."""
    grid = geo.grids.get(grid_code)
    village = geo.villages.get(grid.village_code) if grid else None
    if village is None:
        return grid_code or T("（未定位）", "(not placed)")[lang]
    number = int(grid_code[-2:]) if grid_code[-2:].isdigit() else grid_code
    return f"{village.name}第{number}网格" if lang == "zh" else f"{village.name} grid {number}"


def town_name(geo: Geography, town_code: str, lang: str = "zh") -> str:
    town = geo.towns.get(town_code)
    return (town.name_en if lang == "en" else town.name) if town else town_code


def tier_of(load_pct: float, lang: str) -> str:
    """The LB/T 034-2014 tier a load falls in (the same shares the rules use)."""
    for severity, share in sorted(CAPACITY_TIERS.items(), key=lambda item: -item[1]):
        if load_pct >= share * 100:
            return f"{SEVERITY_NAMES[severity][lang == 'en']} ≥ {share * 100:.0f} %"
    return T("未达预警线", "below the tiers")[lang]


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def evidence_fields(evidence: dict[str, Any]) -> dict[str, Any]:
    """The evidence as flat fields: Grafana's alerts carry them as labels, and the query's value as values.A."""
    fields = {k: v for k, v in evidence.items() if not isinstance(v, dict | list)}
    labels, values = evidence.get("labels"), evidence.get("values")
    if isinstance(labels, dict):
        fields = {**{k: v for k, v in labels.items() if k not in ("grid_code", "town_code", "severity")}, **fields}
    if isinstance(values, dict) and "value" not in fields and "A" in values:
        fields["value"] = values["A"]
    return fields


def derived(fields: dict[str, Any], geo: Geography | None, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    capacity = _number(fields.get("capacity", fields.get("beds")))
    value = _number(fields.get("value"))
    if capacity and value is not None:
        out["load_pct"] = round(100 * value / capacity)
        out["tier"] = tier_of(100 * value / capacity, lang)
    if "level" in fields:
        out["level_label"] = LEVEL_NAMES.get(fields["level"], (fields["level"],) * 2)[lang == "en"]
    if geo is not None and "lodging" in fields:
        lodging = geo.lodgings.get(str(fields["lodging"]))
        out["lodging_name"] = lodging.name if lodging else fields["lodging"]
    if geo is not None and "lodging_grid" in fields:
        out["lodging_grid_name"] = grid_name(geo, str(fields["lodging_grid"]), lang)
    if "scenic_area" in fields:
        area = next((a for a in geo.scenic_areas.values() if a.name == fields["scenic_area"]), None) if geo else None
        out["scenic_area_name"] = area.name_en if area and lang == "en" else fields["scenic_area"]
    return out


def _shown(value: Any) -> str:
    number = _number(value)
    if isinstance(value, bool) or number is None:
        return str(value)
    return f"{number:.0f}" if number.is_integer() else f"{number:.1f}"


def describe(rule_id: str, evidence: dict[str, Any], stored_summary: str, lang: str,
             geo: Geography | None = None) -> dict[str, Any]:
    """Title, summary, guidance and labelled facts of one alert in one language, from its current evidence. Evidence
    of another shape (an alert raised by an earlier release, a Grafana rule outside the catalogue) keeps its
    stored summary and shows its fields one by one."""
    texts = TEXTS.get(rule_id)
    fields = evidence_fields(evidence)
    values = {k: _shown(v) for k, v in {**fields, **derived(fields, geo, lang)}.items()}
    if texts is None:
        return {"title": UNKNOWN_RULE[lang], "summary": stored_summary, "guidance": "",
                "facts": [{"label": k, "value": v} for k, v in values.items()]}
    try:
        summary = texts.summary[lang].format_map(values)
        facts = [{"label": label[lang], "value": template.format_map(values)} for label, template in texts.facts]
    except (KeyError, ValueError, IndexError):
        summary = stored_summary
        facts = [{"label": texts.labels[k][lang] if k in texts.labels else k, "value": _shown(v)}
                 for k, v in fields.items()]
    if "unplaced" in fields:  # routed to the town or district: say why
        facts.append({"label": UNPLACED[lang], "value": str(fields["unplaced"])})
    return {"title": texts.title[lang], "summary": summary, "guidance": texts.guidance[lang], "facts": facts}
