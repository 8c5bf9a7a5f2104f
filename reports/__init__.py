"""Reports for planners: the season report (PNG plots and one HTML page)."""
