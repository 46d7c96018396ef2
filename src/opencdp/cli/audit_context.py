"""What a command tells the audit log about itself: the user's reason and who runs it."""

from __future__ import annotations

import click

from opencdp import __version__
from opencdp.audit.model import cli_actor


def cli_reason() -> str | None:
    """The `--reason` given to `opencdp` (or `OPENCDP_REASON`) for this command."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    reason = obj.get("reason") if isinstance(obj, dict) else None
    return str(reason) if reason else None


def server_headers() -> dict[str, str]:
    """Headers a command sends to a running server: its reason, and the local user in the
    user agent (the server's audit entry names the token; this says who held it)."""
    headers = {"User-Agent": f"opencdp-cli/{__version__} (user {cli_actor().name})"}
    reason = cli_reason()
    if reason:
        headers["X-Opencdp-Reason"] = reason.encode("ascii", "replace").decode("ascii")
    return headers
