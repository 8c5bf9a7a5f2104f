"""Grafana only: dashboards as code, the provisioning files (datasource, alert rules, contact point)."""
