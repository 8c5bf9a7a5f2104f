"""A second terminal while `gridflow serve` (or the demo's page) holds the embedded ClickHouse: read-side commands
run inside the running server instead, over loopback, authenticated by a token kept in the data directory.

The server registers itself in `<data dir>/serve.json` (its address and pid) while it runs; the CLI, finding the
ClickHouse directory locked, sends its arguments there and prints what the command printed."""
from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gridflow.config import Config
from gridflow.errors import ClickHouseBusy

TOKEN_FILE = "relay.token"


def registration(config: Config) -> Path:
    return config.data_dir / "serve.json"


@contextlib.contextmanager
def registered(config: Config, url: str) -> Any:
    """While the block runs, this server answers relayed commands for its data directory."""
    path = registration(config)
    path.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()


def relay_token(config: Config) -> str:
    return config.kept_secret(TOKEN_FILE)


def relay_to_server(config: Config, argv: list[str], busy: ClickHouseBusy) -> int:
    """Run the command through the server holding the ClickHouse directory; say so on stderr."""
    try:
        server = json.loads(registration(config).read_text())
        os.kill(server["pid"], 0)
    except (OSError, ValueError, KeyError):
        print(f"gridflow: {busy}", file=sys.stderr)
        return 2
    request = urllib.request.Request(
        f"{server['url']}/internal/cli", data=json.dumps({"argv": argv}).encode(), method="POST",
        headers={"Authorization": f"Bearer {relay_token(config)}", "Content-Type": "application/json"})
    print(f"(the embedded ClickHouse is held by the server at {server['url']}: running there)", file=sys.stderr)
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as e:
        print(f"gridflow: {busy}; and the server at {server['url']} did not run it ({e})", file=sys.stderr)
        return 2
    sys.stdout.write(answer["stdout"])
    sys.stderr.write(answer["stderr"])
    return int(answer["exit"])


def run_here(system: Any, argv: list[str]) -> dict[str, Any]:
    """Server side: parse and run a read-side command with this process's wired system, capturing its output."""
    from gridflow.cli import build_parser, run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as e:
            return {"exit": int(e.code or 0), "stdout": out.getvalue(), "stderr": err.getvalue()}
        if not getattr(args, "relayable", False) or (args.command == "replay" and not args.check):
            print(f"gridflow {args.command}: not run through the server (it would change what the server "
                  "serves); stop the server first", file=sys.stderr)
            code = 2
        else:
            code = run(system, args)
    return {"exit": code, "stdout": out.getvalue(), "stderr": err.getvalue()}


def authorised(config: Config, header: str | None) -> bool:
    expected = f"Bearer {relay_token(config)}"
    return header is not None and secrets.compare_digest(header.encode(), expected.encode())
