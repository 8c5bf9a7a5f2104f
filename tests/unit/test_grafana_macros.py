"""The plugin's query expansion in Python — alerting.macros (the backend), dashboards.variables (the browser
step) — checked against the examples of grafana-clickhouse-datasource v4.20.0's own tests
(pkg/macros/macros_test.go, src/data/CHDatasource.test.ts): same inputs, same expected text."""
from datetime import UTC, datetime, timedelta

import pytest

from alerting.macros import MacroError, QueryContext, expand
from dashboards.variables import ALL, Variable, apply_conditional_all, interpolate, replace_variables

FROM = datetime(2014, 11, 12, 11, 45, 26, 371000, tzinfo=UTC)
TO = datetime(2015, 11, 12, 11, 45, 26, 371000, tzinfo=UTC)
CTX = QueryContext(FROM, TO, timedelta(0))
INTERPOLATE = QueryContext(FROM.replace(microsecond=123000), TO.replace(microsecond=456000), timedelta(0))
TWENTY_S = QueryContext(FROM, TO, timedelta(seconds=20))


@pytest.mark.parametrize("sql, expected", [
    ("$__fromTime", "toDateTime(1415792726)"),
    ("$__toTime", "toDateTime(1447328726)"),
    ("$__fromTime_ms", "fromUnixTimestamp64Milli(1415792726371)"),
    ("$__toTime_ms", "fromUnixTimestamp64Milli(1447328726371)"),
    ("$__dateFilter(dateCol)", "dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12')"),
    ("$__dateTimeFilter(dateCol, timeCol)", "(dateCol >= toDate('2014-11-12') AND dateCol <= toDate('2015-11-12'))"
     " AND (timeCol >= toDateTime(1415792726) AND timeCol <= toDateTime(1447328726))"),
    ("$__timeFrom(ts)", "ts >= toDateTime(1415792726)"),
    ("$__timeTo(ts)", "ts <= toDateTime(1447328726)"),
    ("$__timeGroup(ts, 5m)", "toStartOfInterval(toDateTime(ts), INTERVAL 300 second)"),
    ("$__timeGroup(ts, 1h)", "toStartOfInterval(toDateTime(ts), INTERVAL 3600 second)"),
])
def test_single_macros_as_macros_go_tests_them(sql, expected):
    assert expand(sql, CTX) == expected


@pytest.mark.parametrize("sql, expected", [
    ("$__timeInterval(col)", "toStartOfInterval(toDateTime(col), INTERVAL 20 second)"),
    ("$__timeInterval_ms(col)", "toStartOfInterval(toDateTime64(col, 3), INTERVAL 20000 millisecond)"),
    ("$__interval_s", "20"),
])
def test_interval_macros_with_a_20_second_interval(sql, expected):
    assert expand(sql, TWENTY_S) == expected


def test_the_interval_is_at_least_one_second():
    assert expand("$__interval_s $__timeInterval(t)", CTX) == "1 toStartOfInterval(toDateTime(t), INTERVAL 1 second)"


@pytest.mark.parametrize("sql, expected", [  # TestInterpolate
    ("select * from foo where $__timeFilter(cast(sth as timestamp))",
     "select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= "
     "toDateTime(1447328726)"),
    ("select * from foo where $__timeFilter(cast(sth as timestamp) )",
     "select * from foo where cast(sth as timestamp) >= toDateTime(1415792726) AND cast(sth as timestamp) <= "
     "toDateTime(1447328726)"),
    ("select * from foo where $__timeFilter_ms(cast(sth as timestamp))",
     "select * from foo where cast(sth as timestamp) >= fromUnixTimestamp64Milli(1415792726123) AND "
     "cast(sth as timestamp) <= fromUnixTimestamp64Milli(1447328726456)"),
    ("select * from foo where ( date >= $__fromTime and date <= $__toTime ) limit 100",
     "select * from foo where ( date >= toDateTime(1415792726) and date <= toDateTime(1447328726) ) limit 100"),
    ("select * from foo where ( date >= $__fromTime_ms ) and ( date <= $__toTime_ms ) limit 100",
     "select * from foo where ( date >= fromUnixTimestamp64Milli(1415792726123) ) and ( date <= "
     "fromUnixTimestamp64Milli(1447328726456) ) limit 100"),
    # TestInterpolateBackslashEscapedStringLiterals: a -- or /* inside a literal is not a comment
    ("select * from foo where msg = 'it\\'s -- fine' and $__fromTime",
     "select * from foo where msg = 'it\\'s -- fine' and toDateTime(1415792726)"),
    ("select * from foo where msg = 'a\\'/*x' and $__toTime",
     "select * from foo where msg = 'a\\'/*x' and toDateTime(1447328726)"),
    ("select * from foo where msg = 'it''s' and $__fromTime",
     "select * from foo where msg = 'it''s' and toDateTime(1415792726)"),
])
def test_whole_queries_as_interpolate_tests_them(sql, expected):
    assert expand(sql, INTERPOLATE) == expected


@pytest.mark.parametrize("sql, expected", [  # TestInterpolateNestedMacros (interval one minute)
    ("SELECT $__timeInterval($__fromTime) AS from_time",
     "SELECT toStartOfInterval(toDateTime(toDateTime(1415792726)), INTERVAL 60 second) AS from_time"),
    ("SELECT $__timeInterval_ms($__fromTime_ms)",
     "SELECT toStartOfInterval(toDateTime64(fromUnixTimestamp64Milli(1415792726123), 3), INTERVAL 60000 millisecond)"),
    ("select * from foo where $__timeFilter(coalesce(closed_at, $__toTime))",
     "select * from foo where coalesce(closed_at, toDateTime(1447328726)) >= toDateTime(1415792726) AND "
     "coalesce(closed_at, toDateTime(1447328726)) <= toDateTime(1447328726)"),
])
def test_nested_macros_expand_innermost_first(sql, expected):
    assert expand(sql, QueryContext(INTERPOLATE.start, INTERPOLATE.end, timedelta(minutes=1))) == expected


def test_comments_are_blanked_and_macros_inside_them_never_run():
    sql = "SELECT 1 -- $__timeFilter()\n/* $__table */ WHERE $__timeFrom(t)"
    out = expand(sql, CTX)
    comment, block = "-- $__timeFilter()", "/* $__table */"
    assert out == f"SELECT 1 {' ' * len(comment)}\n{' ' * len(block)} WHERE t >= toDateTime(1415792726)"


def test_unknown_macros_stay_and_wrong_argument_counts_are_refused():
    assert expand("SELECT $__nothing, $__timeFilterx", CTX) == "SELECT $__nothing, $__timeFilterx"
    for bad in ("$__timeFilter()", "$__timeFrom", "$__dateTimeFilter(d)", "$__timeGroup(ts, nope)", "$__table"):
        with pytest.raises(MacroError):
            expand(bad, CTX)


@pytest.mark.parametrize("value, expected", [  # CHDatasource.test.ts "Conditional All"
    (ALL, "select stuff from table where 1=1;"),
    ("'val1', 'val2'", "select stuff from table where fieldVal in ($fieldVal);"),
])
def test_conditional_all(value, expected):
    sql = "select stuff from table where $__conditionalAll(fieldVal in ($fieldVal), $fieldVal);"
    assert apply_conditional_all(sql, {"fieldVal": Variable(value)}) == expected


def test_every_conditional_all_is_replaced():
    sql = ("select stuff from table where $__conditionalAll(fieldVal in ($fieldVal), $fieldVal) and "
           "$__conditionalAll(fieldVal in ($fieldVal2), $fieldVal2);")
    variables = {"fieldVal": Variable("'val1', 'val2'"), "fieldVal2": Variable(ALL)}
    assert apply_conditional_all(sql, variables) == "select stuff from table where fieldVal in ($fieldVal) and 1=1;"


def test_template_variables_single_multi_all_and_formats():
    variables = {"town": Variable("370614001"), "grids": Variable(["a", "b"]),
                 "cat": Variable([ALL], options=["x", "y'z"])}
    sql = "t = '${town}' AND g IN ($grids) AND c IN (${cat}) AND q IN (${grids:singlequote}) AND $__timeFilter(t)"
    assert replace_variables(sql, variables) == (
        "t = '370614001' AND g IN ('a','b') AND c IN ('x','y'z') AND q IN ('a','b') AND $__timeFilter(t)")
    with pytest.raises(MacroError):
        replace_variables("${grids:percentencode}", variables)


def test_a_panel_query_goes_through_the_browser_then_the_backend():
    sql = "SELECT 1 WHERE $__conditionalAll(town_code IN (${town}), $town) AND $__timeFilter(at)"
    everything = {"town": Variable([ALL], options=["1", "2"])}
    assert interpolate(sql, CTX, everything) == \
        "SELECT 1 WHERE 1=1 AND at >= toDateTime(1415792726) AND at <= toDateTime(1447328726)"
    assert interpolate(sql, CTX, {"town": Variable(["1"])}).startswith("SELECT 1 WHERE town_code IN ('1') AND at")
