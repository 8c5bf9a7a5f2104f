"""`gridflow import FILE --kind …`: a bureau's register (CSV in UTF-8 or GB18030, or .xlsx) into the intake topics,
with a reject report (the parser and error handling live in gridflow.cli)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from gridflow.bootstrap import Gridflow
from gridflow.cli_args import SECONDS
from gridflow.errors import OperatorError


def cmd_import(system: Gridflow, args: argparse.Namespace) -> int:
    from gridflow.cli_intake import needs_broker
    from gridflow.pipeline import progress
    from gridflow.runtime import cluster_id
    from imports.files import RegisterError, read_register
    from imports.importer import run_import
    from imports.mapping import MappingError, default_mapping, load_mapping
    from imports.outcomes import NoWorker
    from imports.rows import Rows
    from streams.topics import ensure_topics

    try:
        register = read_register(args.file, args.sheet)
        mapping = load_mapping(args.mapping, args.kind) if args.mapping else default_mapping(args.kind,
                                                                                             register.header)
        rows = Rows(mapping, register, system.store.pseudonymize)
    except (RegisterError, MappingError) as e:
        raise OperatorError(f"{args.file.name}: {e}") from None
    servers = needs_broker(system, "gridflow import")
    ensure_topics(servers)  # as `gridflow topics` would: the intake and dead-letter topics the import needs
    where = f"{register.encoding}" + (f", sheet {register.sheet!r}" if register.sheet else "")
    progress(f"import: {args.file.name} ({where}): {len(register.rows)} rows as {args.kind}", final=True)
    report = args.report or Path(f"{args.file.stem}.rejects")
    try:
        result = run_import(system.store, servers, cluster_id(servers), rows, report,
                            lambda text, final: progress(text, final=final), idle_s=args.wait)
    except NoWorker as e:
        raise OperatorError(f"{e}: is `gridflow worker` running? The rows are published; import the file again "
                            "once it runs to get the report (a second import has no second effect)") from None
    print(result.summary())
    print(f"reject report: {result.reports[0]} and {result.reports[1]}")
    return 0


def add_commands(sub: Any) -> None:
    from streams.topics import INTAKE  # light: the parser is built for every command

    imp = sub.add_parser("import", help="import a register (CSV in UTF-8 or GB18030, or .xlsx) into the intake "
                                        "topics, with a reject report (needs KAFKA_BOOTSTRAP_SERVERS and a worker)")
    imp.add_argument("file", type=Path, help="the register: .csv or .xlsx")
    imp.add_argument("--kind", required=True, choices=[t.kind for t in INTAKE if t.kind != "scenic_gate"],
                     help="what each row is (gate counts come from counters, not registers)")
    imp.add_argument("--mapping", type=Path, help="mapping YAML: columns → payload fields, value formats "
                                                  "(default: the headers are the payload's field names)")
    imp.add_argument("--sheet", help="the workbook's sheet (default: the first)")
    imp.add_argument("--report", type=Path, help="path prefix of the reject report (.csv and .xlsx are written; "
                                                 "default: <file name>.rejects in the current directory)")
    imp.add_argument("--wait", type=SECONDS, default=300, help="give up after this many seconds in which the "
                                                               "intake handled nothing (default 300)")
    imp.set_defaults(func=cmd_import)
