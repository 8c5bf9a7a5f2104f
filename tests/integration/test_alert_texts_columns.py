"""The rule catalogue's texts name exactly the evidence each rule's SQL returns (run on the real engine): a rule
whose query gains, loses or renames a column fails here instead of showing a stale summary on the phone."""
from alerting.rules import LABELS, RULES
from alerting.texts import TEXTS
from gridflow.bootstrap import bootstrap
from tests.conftest import T0


def test_the_texts_name_the_columns_each_rule_returns(config, geography):
    client = bootstrap(config, geography).clickhouse
    columns = {rule.id: {row[0] for row in client.query(f"DESCRIBE ({rule.query(T0)})").result_rows} for rule in RULES}
    assert {rule_id: names - set(LABELS) for rule_id, names in columns.items()} == {
        rule_id: set(texts.evidence) for rule_id, texts in TEXTS.items()}
