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
