"""The planner's season report on a projected simulated season: the HTML page shows every plot, each a real PNG."""
import re
from datetime import date

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
    scenic = planner.scenic_load_daily(client, date(2026, 8, 1), date(2026, 8, 3))
    assert set(scenic) == set(geography.scenic_areas) and all(len(days) == 3 for days in scenic.values())
