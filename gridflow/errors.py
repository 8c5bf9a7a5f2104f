"""Operator mistakes and unreachable infrastructure, said in one line that names the cause (never a traceback)."""
from __future__ import annotations


class OperatorError(Exception):
    """Something the operator can fix: a wrong setting, an argument, a server that does not answer."""


def first_line(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()]
    return lines[0][:300] if lines else type(e).__name__


def explain(e: BaseException, what: str) -> str:
    """One line for a failure to open `what` (e.g. "the event store postgresql://gridflow@db:5432/gridflow")."""
    text = str(e)
    if "Cannot lock file" in text:
        return (f"{what} is in use by another process (embedded ClickHouse allows one process per data directory; "
                "stop it, or run this command through the running `gridflow serve`)")
    if type(e).__name__ == "NoBrokersAvailable":
        return f"no Kafka broker answers at {what}"
    if "Connection refused" in text or "ECONNREFUSED" in text:
        return f"{what} refuses connections (is it running, and is the address right?)"
    if "Name or service not known" in text or "nodename nor servname" in text or "getaddrinfo failed" in text:
        return f"{what}: host not found"
    if isinstance(e, PermissionError):
        return f"cannot open {what}: permission denied ({e.filename or ''})"
    if "timeout" in text.lower() or "timed out" in text.lower():
        return f"{what} did not answer in time: {first_line(e)}"
    return f"cannot open {what}: {first_line(e)}"


class ClickHouseBusy(OperatorError):
    """The embedded ClickHouse directory is held by another process (one process per chdb directory)."""
