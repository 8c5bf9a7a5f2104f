"""The planner's season report on a projected simulated season: the HTML page shows every plot, each a real PNG."""
import re
from datetime import UTC, date, timedelta

from projections import planner
from reports.season import write_report
from tests.integration.test_event_store import projected_season


def test_the_season_report_writes_its_plots_and_a_page_that_shows_them(config, geography, tmp_path):
    _, client, _, _ = projected_season(config, geography, days=3, scale=0.004, batch=500)

    page = write_report(client, geography, date(2026, 8, 1), date(2026, 8, 3), tmp_path / "report",
                        capacity_scale=0.004)
    text = page.read_text("utf-8")
    images = re.findall(r'<img src="([^"]+)"', text)
    assert set(images) >= {"visitors_by_town.png", "scenic_areas.png", "top_grids.png", "inflow_by_week.png"}
    for name in images:
        data = (page.parent / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000, name
    assert "http://" not in text and "https://" not in text  # nothing fetched from elsewhere

    # the numbers behind the plots come from the read models
    daily = planner.visitors_present_daily(client, date(2026, 8, 1), date(2026, 8, 3))
    assert sum(max(p for _, p, _ in days) for days in daily.values()) > 0
    assert daily == present_by_hour_in_python(client, date(2026, 8, 1), date(2026, 8, 3))
    scenic = planner.scenic_load_daily(client, date(2026, 8, 1), date(2026, 8, 3))
    assert set(scenic) == set(geography.scenic_areas) and all(len(days) == 3 for days in scenic.values())


def present_by_hour_in_python(client, start, end):
    """visitors_present_daily computed the plain way: every hourly cell summed up, hour by hour."""
    lo, hi = planner._bounds(start, end)
    cells = client.query("SELECT town_code, hour, toInt64(visitor_arrivals) - visitor_departures FROM grid_hourly"
                         ).result_rows
    cells = [(t, hour if hour.tzinfo else hour.replace(tzinfo=UTC), delta) for t, hour, delta in cells]
    result = {}
    for town in {t for t, _, _ in cells}:
        days = []
        changes = sorted((hour, delta) for t, hour, delta in cells if t == town)
        present = sum(delta for hour, delta in changes if hour < lo)
        for d in range((end - start).days + 1):
            hours = []
            for h in range(24):
                at = lo + timedelta(days=d, hours=h)
                present += sum(delta for hour, delta in changes if at <= hour < at + timedelta(hours=1))
                hours.append(present)
            days.append((start + timedelta(days=d), max(hours), sum(hours) / 24))
        result[town] = days
    return result
