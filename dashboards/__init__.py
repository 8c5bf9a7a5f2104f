"""Grafana side: datasource (and, in later issues, dashboards and alert rules) as provisioning files."""
