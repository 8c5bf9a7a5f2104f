"""Hypothesis strategies for documents that follow the published intake JSON Schemas (the subset of draft-07 they
use: object/properties/required, string pattern/length, enum, const, integer bounds, arrays, oneOf/anyOf).
hypothesis-jsonschema would do this, but it does not run with the Hypothesis release installed here."""
from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

TEXT = st.text(max_size=40)


def document(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "oneOf" in node:
        return st.one_of([document(choice) for choice in node["oneOf"]])
    kind = node.get("type", "object" if "properties" in node else None)
    if kind == "string":
        if "pattern" in node:
            return st.from_regex(node["pattern"].replace("$", r"\Z"), fullmatch=False)
        return st.text(min_size=node.get("minLength", 0), max_size=node.get("maxLength", 40))
    if kind == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
    if kind == "array":
        return st.lists(document(node["items"]), min_size=node.get("minItems", 0), max_size=node.get("maxItems", 4))
    if kind == "object":  # an anyOf of `required` lists: one of them holds
        return st.one_of([_object(node, branch.get("required", ())) for branch in node.get("anyOf") or [{}]])
    return TEXT


def _object(node: dict[str, Any], also_required: tuple[str, ...] | list[str]) -> st.SearchStrategy[dict]:
    properties = node.get("properties", {})
    required = [k for k in (*node.get("required", ()), *also_required) if k in properties]
    optional = {k: document(v) for k, v in properties.items() if k not in required}
    return st.fixed_dictionaries({k: document(properties[k]) for k in required}, optional=optional)
