"""The production compose file: valid by the published Compose Specification and hardened as the runbook says.

No Docker engine runs here and the docker CLI has no compose plugin, so the file is validated against the
Compose Specification's JSON Schema (vendored in tests/fixtures/compose-spec.json, from compose-spec/compose-spec
schema/compose-spec.json at commit a08f8d51, 2025-10-28) after interpolating the variables of .env.example as
compose does; where `docker compose` works, `docker compose config` is run as well. The hardening properties are
asserted on the interpolated file. The secret-making scripts are run for real (openssl), and the Kafka keystore
is opened by Java's keytool and served in a TLS handshake that a client verifies with the CA certificate."""
from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gridflow.config import Config

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = [f["department"] for f in yaml.safe_load((ROOT / "feeds" / "catalogue.yaml").read_text())["feeds"]]
SCHEMA = ROOT / "tests" / "fixtures" / "compose-spec.json"
VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")
SECRETISH = re.compile(r"PASSWORD|TOKEN|SECRET|CIPHER_KEY|PSEUDONYM_KEY|CREDENTIALS")


class Unset(Exception):
    pass


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, ${VAR?err},
    ${VAR:+alt}, ${VAR+alt}; applied to every string value."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("bare"):
            return env.get(match.group("bare"), "")
        name, op, arg = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?(.*)", match.group("braced"), re.DOTALL).groups()
        present, filled = name in env, bool(env.get(name))
        if op in (":-", "-"):
            return env[name] if (filled if op == ":-" else present) else interpolate(arg, env)
        if op in (":?", "?"):
            if not (filled if op == ":?" else present):
                raise Unset(f"{name}: {arg}")
            return env[name]
        if op in (":+", "+"):
            return interpolate(arg, env) if (filled if op == ":+" else present) else ""
        return env.get(name, "")

    return VARIABLE.sub(one, value)


def variables_in(text: str) -> set[str]:
    names = set()
    for match in VARIABLE.finditer(text):
        if match.group("bare"):
            names.add(match.group("bare"))
        elif match.group("braced"):
            names.add(re.match(r"[A-Za-z_][A-Za-z0-9_]*", match.group("braced")).group(0))
            names |= variables_in(match.group("braced"))
    return names


def env_example() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    return {k.strip(): v.strip() for k, v in pairs}


def raw_compose() -> Any:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def filled_env() -> dict[str, str]:
    """.env.example with what the operator must generate filled in as the comments say."""
    env = env_example()
    env["KAFKA_CLUSTER_ID"] = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return env


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return interpolate(raw_compose(), filled_env())


def test_the_compose_file_follows_the_compose_specification_with_the_variables_of_env_example(tmp_path):
    text = (ROOT / "docker-compose.yml").read_text()
    used = variables_in(text)
    listed = env_example()
    assert used == set(listed), f"only in the compose file: {used - set(listed)}; only in .env.example: " \
                                f"{set(listed) - used}"
    with pytest.raises(Unset, match="KAFKA_CLUSTER_ID"):  # required and left empty in the example: compose refuses
        interpolate(raw_compose(), listed)

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    resolved = interpolate(raw_compose(), filled_env())
    errors = sorted(validator.iter_errors(resolved), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)
    broken = dict(resolved, services={**resolved["services"], "kafka": {**resolved["services"]["kafka"],
                                                                         "healthcheck": {"interval": 15}}})
    assert not validator.is_valid(broken)  # the schema does catch a wrong type

    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], check=False, capture_output=True).returncode == 0:
        env_file = tmp_path / ".env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in filled_env().items()))
        done = subprocess.run([docker, "compose", "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"),
                               "config", "--quiet"], check=False, capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr


def test_every_service_is_health_checked_and_waited_for(compose):
    services = compose["services"]
    jobs = {name for name, s in services.items() if s.get("restart") == "no"}
    assert jobs == {"gridflow-topics"}
    for name, service in services.items():
        if name not in jobs:
            check = service.get("healthcheck", {})
            assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
            assert service.get("restart") == "unless-stopped", name
        for target, rule in service.get("depends_on", {}).items():
            wanted = "service_completed_successfully" if target in jobs else "service_healthy"
            assert isinstance(rule, dict) and rule.get("condition") == wanted, f"{name} → {target}: {rule}"
    waited = {t for s in services.values() for t in s.get("depends_on", {})}
    assert {"kafka", "postgres", "clickhouse", "gridflow-topics"} <= waited
    assert services["gridflow-worker"]["depends_on"]["gridflow-topics"]["condition"] == \
        "service_completed_successfully"


def kafka_env(compose) -> dict[str, str]:
    return {k: str(v) for k, v in compose["services"]["kafka"]["environment"].items()}


def test_kafka_keeps_its_log_on_its_volume(compose):
    kafka = compose["services"]["kafka"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in kafka["volumes"]}
    log_dirs = kafka_env(compose)["KAFKA_LOG_DIRS"].split(",")
    for log_dir in log_dirs:
        target = next((t for t in mounts if log_dir == t or log_dir.startswith(t.rstrip("/") + "/")), None)
        assert target is not None, f"{log_dir} is not on a mounted volume"
        assert mounts[target] in compose["volumes"], f"{target} is not a named volume"


def test_kafka_has_an_external_sasl_ssl_listener_and_keeps_plaintext_inside(compose):
    env = kafka_env(compose)
    protocol = dict(pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    advertised = dict(re.match(r"(\w+)://(.+)", a).groups() for a in env["KAFKA_ADVERTISED_LISTENERS"].split(","))
    listeners = dict(re.match(r"(\w+)://(.*)", a).groups() for a in env["KAFKA_LISTENERS"].split(","))
    external = [name for name in advertised if protocol[name] == "SASL_SSL"]
    assert len(external) == 1
    host, port = advertised[external[0]].rsplit(":", 1)
    assert host == filled_env()["KAFKA_EXTERNAL_HOST"] and port == filled_env()["KAFKA_EXTERNAL_PORT"]
    published = compose["services"]["kafka"]["ports"]
    assert published == [f"{port}:{listeners[external[0]].rsplit(':', 1)[1]}"]  # only the external one
    assert advertised["PLAINTEXT"] == "kafka:9092" and protocol["PLAINTEXT"] == "PLAINTEXT"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "PLAINTEXT"
    assert compose["services"]["gridflow-worker"]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    # the apache/kafka image reads the keystore and its password files under /etc/kafka/secrets
    targets = {s["target"] for s in compose["services"]["kafka"]["secrets"]}
    for variable in ("KAFKA_SSL_KEYSTORE_FILENAME", "KAFKA_SSL_KEYSTORE_CREDENTIALS", "KAFKA_SSL_KEY_CREDENTIALS"):
        assert f"/etc/kafka/secrets/{env[variable]}" in targets, variable
    jaas = env["KAFKA_OPTS"].split("java.security.auth.login.config=")[1]
    config = next(c for c in compose["services"]["kafka"]["configs"] if c["target"] == jaas)
    text = (ROOT / compose["configs"][config["source"]]["file"]).read_text()
    assert "ScramLoginModule required;" in text and "password" not in text
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false" and "StandardAuthorizer" in env[
        "KAFKA_AUTHORIZER_CLASS_NAME"]


def test_no_secret_value_is_inline(compose):
    raw = raw_compose()
    secrets_dir = filled_env()["GRIDFLOW_SECRETS_DIR"]
    for name, secret in compose["secrets"].items():
        assert set(secret) == {"file"} and secret["file"].startswith(secrets_dir + "/"), name
        assert Path(secret["file"]).name in (ROOT / ".env.example").read_text(), f"{name} is not documented"
    for name, service in compose["services"].items():
        mounted = {s if isinstance(s, str) else s["source"]: f"/run/secrets/{s}" if isinstance(s, str) else s["target"]
                   for s in service.get("secrets", [])}
        targets = set(mounted.values())
        for key, value in (service.get("environment") or {}).items():
            value = str(value)
            assert not re.search(r"://[^/@\s]*:[^/@\s]*@", value), f"{name}.{key} has a password in a URL"
            if key.endswith("_FILE"):
                assert value in targets, f"{name}.{key} names {value}, which is not mounted"
            elif SECRETISH.search(key):
                assert f"/etc/kafka/secrets/{value}" in targets, f"{name}.{key} is a secret given inline"
        for key, value in (raw["services"][name].get("environment") or {}).items():
            assert not (SECRETISH.search(key) and "${" in str(value)), f"{name}.{key} comes from .env"
    grafana = compose["services"]["grafana"]
    start = " ".join(grafana["entrypoint"])
    for secret in ("clickhouse_password", "gridflow_webhook_token", "operations_alert_url"):
        assert f"$(cat /run/secrets/{secret})" in start and secret in grafana["secrets"]
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    serve = compose["services"]["gridflow-serve"]
    assert serve["environment"]["GRIDFLOW_ACCOUNTS"] == "/run/secrets/gridflow_accounts"
    assert "gridflow_accounts" in serve["secrets"]  # a read-only file, never a directory docker would invent
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/postgres_password"
    assert compose["services"]["clickhouse"]["environment"]["CLICKHOUSE_PASSWORD_FILE"] == \
        "/run/secrets/clickhouse_password"


def run_script(name: str, *args: str, secrets_dir: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin:/usr/local/bin", "GRIDFLOW_SECRETS_DIR": str(secrets_dir)}
    return subprocess.run(["bash", str(ROOT / "scripts" / name), *args], check=False, capture_output=True,
                          text=True, env=env)


def test_make_secrets_writes_the_files_gridflow_reads_and_keeps_them_on_a_second_run(tmp_path, compose):
    secrets_dir = tmp_path / "secrets"
    first = run_script("make-secrets.sh", secrets_dir=secrets_dir)
    assert first.returncode == 0, first.stderr
    made = {p.name: p.read_text() for p in secrets_dir.iterdir()}
    assert set(made) == {"postgres_password", "clickhouse_password", "grafana_admin_password",
                         "gridflow_cipher_key", "gridflow_pseudonym_key", "gridflow_webhook_token",
                         *(f"gridflow_feed_key_{d.replace('-', '_')}" for d in DEPARTMENTS)}
    assert all(value and not value.endswith("\n") for value in made.values())
    assert len(base64.b64decode(made["gridflow_cipher_key"], validate=True)) == 32
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    second = run_script("make-secrets.sh", secrets_dir=secrets_dir)
    assert second.returncode == 0 and second.stdout.count("kept") == len(made)
    assert {p.name: p.read_text() for p in secrets_dir.iterdir()} == made

    def config_of(service: str, data_dir: Path) -> Config:
        """gridflow as the compose file starts `service`, its secrets mapped from /run/secrets to here."""
        env = {k: str(v).replace("/run/secrets/", f"{secrets_dir}/")
               for k, v in compose["services"][service]["environment"].items()}
        return Config.from_env({**env, "GRIDFLOW_DATA_DIR": str(data_dir), "GRIDFLOW_REFERENCE_DIR": ""})

    config = config_of("gridflow-projector", tmp_path / "data")
    assert config.cipher_key == made["gridflow_cipher_key"]
    assert config.pseudonym_key == made["gridflow_pseudonym_key"].encode()
    assert config.event_store_url == f"postgresql://gridflow:{made['postgres_password']}@postgres:5432/gridflow"
    assert config.clickhouse_dsn == f"http://gridflow:{made['clickhouse_password']}@clickhouse:8123"
    assert not (tmp_path / "data" / "keys").exists()  # nothing generated beside them

    # the feeds publisher: every department of the catalogue has its own key, from its secret
    config = config_of("gridflow-feeds", tmp_path / "feeds")
    for department in DEPARTMENTS:
        assert config.feed_key(department) == made[f"gridflow_feed_key_{department.replace('-', '_')}"].encode()
    assert not (tmp_path / "feeds" / "keys").exists()


def test_kafka_certs_makes_a_keystore_java_opens_and_a_client_verifies_over_tls(tmp_path):
    secrets_dir = tmp_path / "secrets"
    done = run_script("kafka-certs.sh", "kafka.example.test", "192.0.2.10", secrets_dir=secrets_dir)
    assert done.returncode == 0, done.stderr
    keystore, password = secrets_dir / "kafka.keystore.p12", (secrets_dir / "kafka_keystore_password").read_text()
    listing = subprocess.run(["keytool", "-list", "-keystore", str(keystore), "-storetype", "PKCS12",
                              "-storepass", password], check=False, capture_output=True, text=True)
    assert listing.returncode == 0 and "PrivateKeyEntry" in listing.stdout, listing.stdout + listing.stderr

    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, pkcs12

    key, cert, _ = pkcs12.load_key_and_certificates(keystore.read_bytes(), password.encode())
    (tmp_path / "broker.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    (tmp_path / "broker.key").write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(tmp_path / "broker.pem", tmp_path / "broker.key")

    def handshake(server_name: str) -> str:
        with socket.create_server(("127.0.0.1", 0)) as listener:
            def serve() -> None:
                conn, _ = listener.accept()
                try:
                    with server_side.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1)
                except (ssl.SSLError, OSError):
                    pass
            thread = threading.Thread(target=serve, daemon=True)
            thread.start()
            client = ssl.create_default_context(cafile=str(secrets_dir / "kafka-ca.crt"))
            try:
                with socket.create_connection(listener.getsockname(), timeout=5) as raw, \
                        client.wrap_socket(raw, server_hostname=server_name) as tls:
                    return tls.version()
            finally:
                thread.join(5)

    assert handshake("kafka.example.test").startswith("TLS")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake("elsewhere.example.test")

    again = run_script("kafka-certs.sh", "kafka.example.test", secrets_dir=secrets_dir)  # renewal: same CA
    assert again.returncode == 0, again.stderr
    assert (secrets_dir / "kafka_keystore_password").read_text() == password
    _, renewed, _ = pkcs12.load_key_and_certificates(keystore.read_bytes(), password.encode())
    assert renewed.serial_number != cert.serial_number and renewed.issuer == cert.issuer


def test_the_image_holds_every_package_gridflow_installs():
    """The Dockerfile copies each package pyproject.toml installs (a missing one fails only in production)."""
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY ")}
    assert {p.rstrip("*") for p in packages} <= copied
    for name, service in raw_compose()["services"].items():
        if name.startswith("gridflow-"):
            assert service["build"] == "."
