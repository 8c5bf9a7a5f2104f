"""The reference geography in ClickHouse (ref_* tables), so rules and dashboards compare with capacities in SQL:
written when the composition root opens ClickHouse, at the data's scale, rewritten only when something changed."""
from gridflow.bootstrap import bootstrap
from projections.reference_tables import TABLES, stored_scale, sync_reference_tables


def test_opening_clickhouse_fills_the_reference_tables_and_a_scale_sticks(config, geography):
    client = bootstrap(config, geography).clickhouse
    count = lambda sql: client.query(sql).result_rows[0][0]  # noqa: E731
    assert count("SELECT count() FROM ref_grids") == len(geography.grids)
    assert count("SELECT count() FROM ref_lodgings") == len(geography.lodgings)
    assert count("SELECT count() FROM ref_towns") == len(geography.towns) == 12
    beds = sum(lodging.beds for lodging in geography.lodgings.values())
    assert count("SELECT sum(beds) FROM ref_grids") == beds and stored_scale(client) == 1.0
    area = next(iter(geography.scenic_areas.values()))
    assert client.query(f"SELECT max_instantaneous, max_daily, town_code FROM ref_scenic_areas WHERE code = "
                        f"'{area.code}'").result_rows == [(area.max_instantaneous, area.max_daily,
                                                           geography.grids[area.grid_code].town_code)]

    sync_reference_tables(client, geography, 0.05)  # an evaluator of simulated data at scale 0.05
    assert abs(count("SELECT sum(beds) FROM ref_grids") - beds * 0.05) < 1e-6
    digest = count("SELECT digest FROM ref_info")
    sync_reference_tables(client, geography)  # the next opening keeps the scale it finds
    assert stored_scale(client) == 0.05 and count("SELECT digest FROM ref_info") == digest
    tables = {name for (name,) in client.query("SHOW TABLES").result_rows if name.startswith("ref_")}
    assert tables == set(TABLES)  # every staging table was swapped in and dropped
