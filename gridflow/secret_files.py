"""Secrets as files (Docker secrets, mounted under /run/secrets): every secret variable may instead be given as
NAME_FILE, the path of a file holding the value, as the postgres and clickhouse images do. Database passwords
have variables of their own, so the URLs in the compose file carry none:
GRIDFLOW_EVENT_STORE_PASSWORD(_FILE) and GRIDFLOW_CLICKHOUSE_PASSWORD(_FILE) go into the URLs' user part."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from gridflow.errors import OperatorError

SECRET_VARIABLES = ("GRIDFLOW_CIPHER_KEY", "GRIDFLOW_PSEUDONYM_KEY", "GRIDFLOW_WEBHOOK_TOKEN",
                    "GRIDFLOW_EVENT_STORE_PASSWORD", "GRIDFLOW_CLICKHOUSE_PASSWORD")
URL_OF_PASSWORD = {"GRIDFLOW_EVENT_STORE_PASSWORD": "GRIDFLOW_EVENT_STORE",
                   "GRIDFLOW_CLICKHOUSE_PASSWORD": "GRIDFLOW_CLICKHOUSE"}


def secret_value(env: Mapping[str, str], name: str) -> str | None:
    """NAME's value, or the content of the file NAME_FILE names (surrounding whitespace removed)."""
    path = env.get(f"{name}_FILE")
    if not path:
        return env.get(name) or None
    if env.get(name):
        raise OperatorError(f"set {name} or {name}_FILE, not both")
    try:
        value = Path(path).read_text("utf-8").strip()
    except OSError as e:
        raise OperatorError(f"cannot read {name}_FILE {path}: {e.strerror or e}") from None
    if not value:
        raise OperatorError(f"{name}_FILE {path} is empty")
    return value


def with_password(url: str, password: str, variable: str) -> str:
    """`url` with `password` in its user part; a URL that has a password already is a mistake to name."""
    parts = urlsplit(url)
    if parts.password is not None:
        raise OperatorError(f"{URL_OF_PASSWORD[variable]} carries a password already: drop it or {variable}")
    if not parts.username:
        raise OperatorError(f"{URL_OF_PASSWORD[variable]} names no user for {variable} (user@host)")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{quote(password, safe='')}@{host}"))


def with_secret_files(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with every secret read (from NAME or NAME_FILE) and the passwords put into their URLs."""
    resolved = {k: v for k, v in env.items() if not (k.endswith("_FILE") and k[:-5] in SECRET_VARIABLES)}
    for name in SECRET_VARIABLES:
        value = secret_value(env, name)
        if value is None:
            continue
        if name in URL_OF_PASSWORD:
            resolved.pop(name, None)
            url_variable = URL_OF_PASSWORD[name]
            if not env.get(url_variable):
                raise OperatorError(f"{name} is set but {url_variable} is not")
            resolved[url_variable] = with_password(env[url_variable], value, name)
        else:
            resolved[name] = value
    return resolved
