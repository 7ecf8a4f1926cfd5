"""``records user add|list|disable|enable``, ``records login``, ``logout`` and ``whoami``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer
from rich.table import Table

from commands.access import acting_archive, forget_token, load_token, read_password, save_token
from commands.common import console, err_console, open_archive, print_json
from pipeline import auth, throttle
from pipeline.audit import audited_session
from pipeline.db.models import User
from pipeline.views import WhoAmI

app = typer.Typer()
user_app = typer.Typer(help="Users, their roles and clearance.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def user_dict(user: User) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "clearance": user.clearance,
            "division": user.division, "active": user.active, "created_by": user.created_by,
            "created_at": user.created_at}


@user_app.command("add")
def add(
    name: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help="clerk, records-officer, staff, auditor, admin"),
    clearance: str = typer.Option("internal", "--clearance", help="public, internal, confidential"),
    division: str | None = typer.Option(None, "--division", help="The user's division (科)."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from the first line of stdin."),
) -> None:
    """Add a user. On an empty store the first user must be an admin; later, log in as admin."""
    password = read_password(password_stdin)
    with open_archive() as archive, audited_session(archive) as session:
        token = load_token()
        actor = auth.resolve_actor(session, token) if auth.has_users(session) else None
        user = auth.add_user(session, actor, name, auth.parse_role(role), password, clearance,
                             division)
        err_console.print(f"user {user.name} ({user.role}, {user.clearance}) added")


@user_app.command("list")
def list_users(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every user (admins only)."""
    with acting_archive() as (_archive, session, actor):
        rows = [user_dict(u) for u in auth.list_users(session, actor)]
    if as_json:
        print_json({"users": rows})
        return
    table = Table()
    for col in ("name", "role", "clearance", "division", "active"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["role"], r["clearance"], r["division"] or "", str(r["active"]))
    console.print(table)


@user_app.command("disable")
def disable(name: str = typer.Argument(...)) -> None:
    """Disable a user and revoke their logins (admins only)."""
    with acting_archive() as (_archive, session, actor):
        auth.set_active(session, actor, name, False)
    err_console.print(f"user {name} disabled")


@user_app.command("enable")
def enable(name: str = typer.Argument(...)) -> None:
    """Enable a disabled user again (admins only)."""
    with acting_archive() as (_archive, session, actor):
        auth.set_active(session, actor, name, True)
    err_console.print(f"user {name} enabled")


@user_app.command("lockouts")
def lockouts(as_json: bool = typer.Option(False, "--json")) -> None:
    """Accounts and client addresses locked after too many failed log-ins (admins only)."""
    with acting_archive() as (_archive, session, actor):
        actor.require(auth.Perm.manage_users)
        rows = [lock.to_dict() for lock in throttle.active(session, datetime.now(UTC))]
    if as_json:
        print_json({"lockouts": rows})
        return
    for r in rows:
        console.print(f"{r['scope']} {r['key']}: locked until {r['locked_until']}")


@user_app.command("unlock")
def unlock(
    name: str | None = typer.Argument(None, help="The account to unlock."),
    address: str | None = typer.Option(None, "--address", help="A client address to unlock."),
) -> None:
    """Lift a login lockout of an account or a client address now (admins only)."""
    if (name is None) == (address is None):
        raise typer.BadParameter("give an account name or --address, not both")
    scope = throttle.Scope.account if name is not None else throttle.Scope.address
    key = name if name is not None else address
    assert key is not None
    with acting_archive() as (_archive, session, actor):
        auth.lift_lockout(session, actor, scope, key)
    err_console.print(f"{scope.value} {key} unlocked")


@app.command()
def login(
    name: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin"),
    print_token: bool = typer.Option(False, "--print-token",
                                     help="Print the token (for RECORDS_TOKEN) instead of saving."),
) -> None:
    """Log in; the token is kept in the user's config folder (mode 0600)."""
    password = read_password(password_stdin)
    with open_archive() as archive:
        token = auth.login(archive, name, password)
    if print_token:
        typer.echo(token)
        return
    path = save_token(token)
    err_console.print(f"logged in as {name}; token saved to {path} (valid {auth.TOKEN_TTL})")


@app.command()
def logout() -> None:
    """Revoke the saved login token and forget it."""
    token = load_token()
    if token:
        with open_archive() as archive, audited_session(archive) as session:
            auth.revoke(session, token)
    forget_token()
    err_console.print("logged out")


@app.command()
def whoami(as_json: bool = typer.Option(False, "--json")) -> None:
    """The user the current token belongs to, with role, clearance and permissions."""
    with acting_archive() as (_archive, _session, actor):
        perms = sorted(p.value for p in actor.perms)
    if as_json:
        print_json(WhoAmI.of(actor).to_json())
    else:
        console.print(f"{actor.name} ({actor.role or 'no role'}, clearance {actor.clearance}): "
                      f"{', '.join(perms) or 'no permissions'}")
