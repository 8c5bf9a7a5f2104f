"""The rule catalogue speaks Chinese first and English, for every rule: title, summary, guidance and labels; and
the figures people read are computed from the evidence itself, so a summary never disagrees with its numbers."""
import re
import string

import pytest

from alerting.rules import RULES
from alerting.texts import DERIVED, LANGUAGES, TEXTS, describe, grid_name

CJK = re.compile(r"[\u4e00-\u9fff]")


def fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_complete_texts_in_both_languages(rule):
    texts = TEXTS[rule.id]
    for text in (texts.title, texts.summary, texts.guidance):
        assert CJK.search(text.zh) and text.en.strip() and not CJK.search(text.en)
    allowed = set(texts.evidence) | set(DERIVED)
    for lang in LANGUAGES:
        assert fields_of(texts.summary[lang]) <= allowed, (rule.id, lang)
        for label, template in texts.facts:
            assert label[lang].strip() and fields_of(template) <= allowed
    assert set(texts.labels) == set(texts.evidence)  # every evidence field has a label in both languages
    assert all(CJK.search(t.zh) and t.en for t in texts.labels.values())


def test_no_texts_for_rules_that_do_not_exist():
    assert set(TEXTS) == {rule.id for rule in RULES}


def test_a_load_is_computed_from_the_evidence_it_is_shown_with(geography):
    raised = describe("grid_lodging_load", {"beds": "100", "value": 92}, "stale", "zh", geography)
    repeated = describe("grid_lodging_load", {"beds": "100", "value": 155}, "网格内住宿游客 92 人", "zh", geography)
    assert raised["summary"] == "网格内住宿游客 92 人，床位 100 张，负荷 92 %"
    assert repeated["summary"] == "网格内住宿游客 155 人，床位 100 张，负荷 155 %"  # not the stale stored summary
    assert repeated["facts"] == [{"label": "住宿游客 / 床位", "value": "155 / 100"},
                                 {"label": "负荷（LB/T 034-2014 分级）", "value": "155 % · 红色 ≥ 100 %"}]
    english = describe("grid_lodging_load", {"beds": "100", "value": 85}, "", "en", geography)
    assert english["facts"][1]["value"] == "85 % · yellow ≥ 80 %"


def test_scenic_areas_and_lodgings_are_named_from_the_reference_geography(geography):
    area = geography.scenic_areas["S01"]
    zh = describe("scenic_instant_load", {"scenic_area": area.name, "capacity": "9000", "value": 9360}, "", "zh",
                  geography)
    en = describe("scenic_instant_load", {"scenic_area": area.name, "capacity": "9000", "value": 9360}, "", "en",
                  geography)
    assert zh["summary"] == "蓬莱阁在园游客 9360 人，为瞬时最大承载量 9000 人的 104 %"
    assert en["summary"].startswith("Penglai Pavilion: visitors inside 9360, 104 %")
    lodging = next(iter(geography.lodgings.values()))
    checked_in = describe("priority_lodging_check_in", {"lodging": lodging.code, "lodging_grid": lodging.grid_code,
                                                        "checked_in_at": "2026-08-01 21:05", "value": 1}, "", "zh",
                          geography)
    assert lodging.name in checked_in["summary"] and grid_name(geography, lodging.grid_code) in checked_in["summary"]
    assert lodging.code not in checked_in["summary"]


def test_evidence_of_another_shape_keeps_its_stored_summary_and_is_shown_field_by_field(geography):
    old = describe("over_occupied_dwelling", {"dwelling": "D-1", "occupants": 9}, "D-1 has 9 occupants", "zh",
                   geography)
    assert old["summary"] == "D-1 has 9 occupants" and old["title"] == "房屋超员居住"
    assert {"label": "房屋", "value": "D-1"} in old["facts"]
    grafana = describe("inflow_surge", {"labels": {"grid_code": "x", "finding_key": "k"}, "values": {"A": 12, "B": 1},
                                        "unplaced": "the alert names no grid"}, "", "en", geography)
    assert grafana["summary"].startswith("12 new residents") and grafana["facts"][-1]["label"] == "Not placed in a grid"
    assert describe("some_grafana_rule", {"x": 1}, "CPU high", "zh", geography)["title"] == "外部预警"
