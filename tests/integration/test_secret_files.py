"""Secrets given as files (NAME_FILE, Docker secrets): read into the configuration, passwords put into the store
URLs, and every mistake said in one line."""
from __future__ import annotations

import base64

import pytest

from gridflow.config import Config
from gridflow.errors import OperatorError
from gridflow.secret_files import secret_value, with_secret_files

KEY = base64.b64encode(bytes(range(32))).decode()


def write(tmp_path, name: str, value: str):
    path = tmp_path / name
    path.write_text(value)
    return str(path)


def test_keys_and_passwords_come_from_files(tmp_path):
    env = {"GRIDFLOW_DATA_DIR": str(tmp_path / "data"),
           "GRIDFLOW_CIPHER_KEY_FILE": write(tmp_path, "cipher", KEY + "\n"),  # a trailing newline is dropped
           "GRIDFLOW_PSEUDONYM_KEY_FILE": write(tmp_path, "pseudonym", "a pseudonym key of some length"),
           "GRIDFLOW_EVENT_STORE": "postgresql://gridflow@db:5432/gridflow",
           "GRIDFLOW_EVENT_STORE_PASSWORD_FILE": write(tmp_path, "pg", "p@ss:w/rd"),
           "GRIDFLOW_CLICKHOUSE": "https://reader@ch.example:8443",
           "GRIDFLOW_CLICKHOUSE_PASSWORD": "plain"}
    config = Config.from_env(env)
    assert config.cipher_key == KEY and config.pseudonym_key == b"a pseudonym key of some length"
    assert config.event_store_url == "postgresql://gridflow:p%40ss%3Aw%2Frd@db:5432/gridflow"
    assert config.event_store_env()["POSTGRES_PASSWORD"] == "p@ss:w/rd"
    assert config.clickhouse_dsn == "https://reader:plain@ch.example:8443"
    assert not (tmp_path / "data" / "keys").exists()
    assert "GRIDFLOW_EVENT_STORE_PASSWORD_FILE" not in with_secret_files(env)


def test_a_variable_without_file_keeps_working(tmp_path):
    assert secret_value({"GRIDFLOW_WEBHOOK_TOKEN": "t"}, "GRIDFLOW_WEBHOOK_TOKEN") == "t"
    assert secret_value({}, "GRIDFLOW_WEBHOOK_TOKEN") is None
    assert with_secret_files({"A": "1"}) == {"A": "1"}


@pytest.mark.parametrize("env, message", [
    ({"GRIDFLOW_CIPHER_KEY": KEY, "GRIDFLOW_CIPHER_KEY_FILE": "{cipher}"},
     "set GRIDFLOW_CIPHER_KEY or GRIDFLOW_CIPHER_KEY_FILE, not both"),
    ({"GRIDFLOW_CIPHER_KEY_FILE": "{missing}"}, "cannot read GRIDFLOW_CIPHER_KEY_FILE .*missing: No such file"),
    ({"GRIDFLOW_WEBHOOK_TOKEN_FILE": "{empty}"}, "GRIDFLOW_WEBHOOK_TOKEN_FILE .*empty is empty"),
    ({"GRIDFLOW_EVENT_STORE": "postgresql://u:old@db/x", "GRIDFLOW_EVENT_STORE_PASSWORD": "new"},
     "GRIDFLOW_EVENT_STORE carries a password already"),
    ({"GRIDFLOW_EVENT_STORE": "postgresql://db/x", "GRIDFLOW_EVENT_STORE_PASSWORD": "new"}, "names no user"),
    ({"GRIDFLOW_CLICKHOUSE_PASSWORD": "pw"}, "GRIDFLOW_CLICKHOUSE_PASSWORD is set but GRIDFLOW_CLICKHOUSE is not"),
])
def test_mistakes_are_named_in_one_line(tmp_path, env, message):
    paths = {"cipher": write(tmp_path, "cipher", KEY), "missing": str(tmp_path / "missing"),
             "empty": write(tmp_path, "empty", "\n")}
    env = {k: v.format(**paths) for k, v in env.items()}
    with pytest.raises(OperatorError, match=message) as raised:
        with_secret_files(env)
    assert "\n" not in str(raised.value)


def test_the_api_takes_grafanas_webhook_token_from_its_file(tmp_path, monkeypatch):
    from gridflow.serving import webhook_token

    monkeypatch.delenv("GRIDFLOW_WEBHOOK_TOKEN", raising=False)
    monkeypatch.setenv("GRIDFLOW_WEBHOOK_TOKEN_FILE", write(tmp_path, "token", "from-the-secret-file\n"))
    config = Config.from_env({"GRIDFLOW_DATA_DIR": str(tmp_path / "data")})
    assert webhook_token(config) == "from-the-secret-file"
    assert not (tmp_path / "data" / "keys" / "webhook.token").exists()
