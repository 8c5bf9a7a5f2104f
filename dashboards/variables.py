"""The ClickHouse plugin's browser step for dashboard queries (v4.20.0, `src/data/CHDatasource.ts`
applyTemplateVariables): `$__conditionalAll(cond, $var)` becomes `1=1` when the variable selects everything, then
template variables (`$var`, `${var}`, `${var:format}`) are replaced by Grafana's template service with the plugin's
format (a multi-value as `'a','b'`). `interpolate` is what ClickHouse receives for a panel: this step, then the
backend's macros (alerting.macros). Alert rules have no variables: they skip this step."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from alerting.macros import MacroError, QueryContext, expand

ALL = "$__all"


@dataclass(frozen=True)
class Variable:
    """A dashboard variable's current value (a list for multi-value; ALL for "All") and every option it offers."""

    value: str | Sequence[str]
    options: Sequence[str] = ()
    all_value: str | None = None  # a custom "All" value, passed through as written

    def selects_all(self) -> bool:
        value = self.value if isinstance(self.value, str) else ",".join(self.value)
        return value in ("", ALL)  # the plugin tests `current.value.toString()`


def _macro_args(query: str, open_at: int) -> list[str]:
    """CHDatasource.getMacroArgs: split at commas of depth 1 (quotes are not special here)."""
    args, depth, last = [], 0, 1
    sub = query[open_at:]
    for m in re.finditer(r"[(),]", sub):
        depth += {"(": 1, ")": -1}.get(m[0], 0)
        if m[0] == "," and depth == 1:
            args.append(sub[last:m.start()])
            last = m.end()
        if depth == 0:
            return [*args, sub[last:m.start()]]
    return []


def apply_conditional_all(sql: str, variables: Mapping[str, Variable]) -> str:
    macro = "$__conditionalAll("
    while (at := sql.rfind(macro)) >= 0:
        params = _macro_args(sql, at + len(macro) - 1)
        if len(params) != 2:
            return sql
        phrase = params[0]
        name = re.search(r"(?<=\$\{)\w+(?=\})|(?<=\$)\w+", params[1].strip(), re.ASCII)
        if name and name[0] in variables and variables[name[0]].selects_all():
            phrase = "1=1"
        sql = sql.replace(f"{macro}{params[0]},{params[1]})", phrase, 1)
    return sql


_VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}", re.ASCII)
_FORMATS: dict[str, Callable[[list[str]], str]] = {
    "raw": ",".join,
    "csv": ",".join,
    "singlequote": lambda v: ",".join("'" + x.replace("'", "\\'") + "'" for x in v),
    "doublequote": lambda v: ",".join('"' + x.replace('"', '\\"') + '"' for x in v),
    "sqlstring": lambda v: ",".join("'" + x.replace("'", "''") + "'" for x in v),
}


def replace_variables(sql: str, variables: Mapping[str, Variable]) -> str:
    """templateSrv.replace with the plugin's format: a list becomes 'a','b', a single value is written as is."""
    def one(m: re.Match[str]) -> str:
        name = m[1] or m[2] or m[4]
        variable = variables.get(name)
        if variable is None:
            return m[0]  # not a variable of this dashboard (e.g. a backend macro $__timeFilter)
        fmt = m[3] or m[6]
        if variable.selects_all():
            if variable.all_value is not None:
                return variable.all_value
            values: str | list[str] = list(variable.options)
        else:
            values = variable.value if isinstance(variable.value, str) else list(variable.value)
        if fmt:
            if fmt not in _FORMATS:
                raise MacroError(f"variable format {fmt!r} is not one gridflow expands")
            return _FORMATS[fmt]([values] if isinstance(values, str) else values)
        return "'" + "','".join(values) + "'" if isinstance(values, list) else values
    return _VARIABLE.sub(one, sql)


def interpolate(sql: str, ctx: QueryContext, variables: Mapping[str, Variable] | None = None) -> str:
    """A panel query as ClickHouse receives it: the browser's step, then the backend's."""
    browser = replace_variables(apply_conditional_all(sql, variables or {}), variables or {})
    return expand(browser, ctx)
