"""The rooms keep their shape: the domain imports no database, Kafka, ClickHouse or web library and nothing from
the other rooms (checked in its source and in what importing it loads), and modules stay readable in one sitting."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = {"sqlite3", "psycopg", "psycopg_pool", "kafka", "aiokafka", "faust", "confluent_kafka",
                  "clickhouse_connect", "chdb", "fastapi", "starlette", "uvicorn", "httpx", "requests", "urllib3"}
OTHER_ROOMS = {"stores", "streams", "projections", "alerting", "reports", "dashboards", "gridflow", "benchmarks",
               "imports", "feeds"}
LIBRARY_ADAPTERS = {"eventsourcing.sqlite", "eventsourcing.postgres", "eventsourcing.popo"}


def imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_the_domain_imports_no_adapter_and_no_other_room():
    offending = {}
    for path in sorted((ROOT / "domain").glob("*.py")):
        bad = {n for n in imported_names(path)
               if n.split(".")[0] in INFRASTRUCTURE | OTHER_ROOMS or n in LIBRARY_ADAPTERS}
        if bad:
            offending[path.name] = sorted(bad)
    assert offending == {}


def test_importing_the_domain_loads_no_database_kafka_clickhouse_or_web_library():
    probe = ("import importlib, pkgutil, sys, domain\n"
             "for m in pkgutil.iter_modules(domain.__path__): importlib.import_module('domain.' + m.name)\n"
             "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.split())
    assert loaded & INFRASTRUCTURE == set() and loaded & OTHER_ROOMS == set()


def test_no_module_of_the_rooms_is_over_300_lines():
    rooms = ("domain", "stores", "streams", "projections", "alerting", "reports", "dashboards", "gridflow", "imports",
             "feeds")
    long = {str(p.relative_to(ROOT)): n for room in rooms for p in (ROOT / room).glob("*.py")
            if (n := len(p.read_text("utf-8").splitlines())) > 300}
    assert long == {}
