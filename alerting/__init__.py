"""Alert rules, defined once: the catalogue the built-in evaluator runs and Grafana alerting is provisioned from."""
