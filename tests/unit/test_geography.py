import shutil

import pytest

from domain.geography import InvalidGeography
from gridflow.reference import SHIPPED, load_geography


def test_the_shipped_reference_has_penglais_shape(geography):
    shape = geography.shape()
    assert (shape["towns"], shape["villages"], shape["grids"]) == (12, 584, 1133)
    assert geography.towns_by_kind() == {"street": 5, "town": 7}
    assert all(not t.synthetic for t in geography.towns.values())
    assert all(g.synthetic for g in geography.grids.values())
    assert 400_000 < shape["resident_baseline"] < 550_000
    for area in geography.scenic_areas.values():
        assert 0 < area.max_instantaneous <= area.max_daily


def test_every_grid_belongs_to_its_villages_town(geography):
    for grid in geography.grids.values():
        assert geography.villages[grid.village_code].town_code == grid.town_code


def test_an_operator_csv_directory_loads(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "ref")
    assert load_geography(tmp_path / "ref").shape()["grids"] == 1133


def test_a_grid_naming_an_unknown_village_is_refused(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "ref")
    grids = tmp_path / "ref" / "grids.csv"
    lines = grids.read_text().splitlines()
    code, village, *rest = lines[1].split(",")
    lines[1] = ",".join([code, "999999999999", *rest])
    grids.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidGeography, match="unknown village"):
        load_geography(tmp_path / "ref")


def test_a_missing_column_is_named(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "ref")
    towns = tmp_path / "ref" / "towns.csv"
    towns.write_text(towns.read_text().replace("name_en,", "english,", 1))
    with pytest.raises(InvalidGeography, match="name_en"):
        load_geography(tmp_path / "ref")


def test_scenic_capacity_must_be_consistent(tmp_path):
    shutil.copytree(SHIPPED, tmp_path / "ref")
    scenic = tmp_path / "ref" / "scenic_areas.csv"
    lines = scenic.read_text().splitlines()
    fields = lines[1].split(",")
    fields[4], fields[5] = "50000", "100"  # instantaneous above daily
    lines[1] = ",".join(fields)
    scenic.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidGeography, match="capacity"):
        load_geography(tmp_path / "ref")


SPLIT_ON, MERGED_ON = "2026-09-01", "2026-10-01"


def redrawn_reference(tmp_path, successor_start=SPLIT_ON):
    """The shipped reference with one grid split in two and two grids merged into one (history kept)."""
    shutil.copytree(SHIPPED, tmp_path / "ref")
    grids = tmp_path / "ref" / "grids.csv"
    header, *rows = grids.read_text().splitlines()
    split, merged_a, merged_b = rows[0].split(","), rows[1].split(","), rows[2].split(",")
    new_rows = [row + ",,," for row in rows[3:]]
    new_rows += [",".join(split) + f",,{SPLIT_ON},{split[0][:-2]}91 {split[0][:-2]}92"]
    new_rows += [",".join([split[0][:-2] + n, *split[1:]]) + f",{successor_start},," for n in ("91", "92")]
    new_rows += [",".join(r) + f",,{MERGED_ON},{merged_a[0][:-2]}93" for r in (merged_a, merged_b)]
    new_rows += [",".join([merged_a[0][:-2] + "93", *merged_a[1:]]) + f",{MERGED_ON},,"]
    grids.write_text("\n".join([header + ",valid_from,valid_to,replaced_by", *new_rows]) + "\n")
    return tmp_path / "ref", split[0], (merged_a[0], merged_b[0])


def test_a_split_and_a_merge_keep_the_old_grids_in_history(tmp_path):
    directory, split, merged = redrawn_reference(tmp_path)
    geo = load_geography(directory)
    assert geo.shape()["grids"] == 1133 - 1 + 2 - 2 + 1  # as drawn today
    assert len(geo.grids) == 1133 + 3  # every grid ever drawn
    assert geo.successors(split) == [split[:-2] + "91", split[:-2] + "92"]
    assert geo.successors(merged[0]) == geo.successors(merged[1]) == [merged[0][:-2] + "93"]
    assert split not in geo.grids_of_town(geo.town_of_grid(split))  # retired, yet its town is still known


def test_a_successor_must_start_the_day_its_predecessor_ends(tmp_path):
    directory, _, _ = redrawn_reference(tmp_path, successor_start="2026-09-02")
    with pytest.raises(InvalidGeography, match="must start the day"):
        load_geography(directory)


def test_messages_are_placed_on_the_grid_drawn_at_their_business_date(tmp_path):
    from datetime import datetime, timedelta, timezone

    from tests.unit.domain_helpers import Feed, app, move_in, person, statuses

    directory, split, _ = redrawn_reference(tmp_path)
    population, feed = app(load_geography(directory)), Feed()
    before = datetime(2026, 8, 31, 12, tzinfo=timezone(timedelta(hours=8)))
    after = before + timedelta(days=2)
    result = population.process([feed.item(move_in(person(), "D1", before, grid=split)),
                                 feed.item(move_in(person(), "D2", after, grid=split)),
                                 feed.item(move_in(person(), "D3", before, grid=split[:-2] + "91")),
                                 feed.item(move_in(person(), "D4", after, grid=split[:-2] + "91"))])
    assert statuses(result) == [("accepted", ""), ("rejected", "grid_not_in_force"),
                                ("rejected", "grid_not_in_force"), ("accepted", "")]
