"""Users, roles, clearance, passwords (argon2) and login tokens.

Who may do what is one table, :data:`PERMISSIONS`. A store without any user is a
demo: anyone may ingest and search, but nothing that needs an officer (approvals,
holds, disposal) can happen until users exist and log in. Tokens are random, shown
once, and stored only as their SHA-256 (they carry 256 bits, so a slow hash adds
nothing); passwords are hashed with argon2id.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline import audit, throttle
from pipeline.db.models import AuthToken, User
from pipeline.errors import AccessDenied, ConfigError, NotFound
from pipeline.passwords import check_password

if TYPE_CHECKING:
    from pipeline.archive import Archive

TOKEN_TTL = timedelta(hours=12)
_hasher = PasswordHasher()


class Role(StrEnum):
    clerk = "clerk"
    records_officer = "records_officer"
    staff = "staff"
    auditor = "auditor"
    admin = "admin"


class Perm(StrEnum):
    """Actions that need a permission; docs/lifecycle.md has the matrix."""

    ingest = "ingest"
    search = "search"
    classify = "classify"
    sweep = "sweep"
    appraise = "appraise"
    hold = "hold"
    view_disposal = "view_disposal"
    comment = "comment"
    approve = "approve"
    execute = "execute"
    declassify = "declassify"
    transfer = "transfer"
    audit_read = "audit_read"
    manage_users = "manage_users"


_OFFICER = frozenset(Perm) - {Perm.manage_users}
PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.clerk: frozenset({Perm.ingest, Perm.search}),
    Role.staff: frozenset({Perm.search, Perm.view_disposal, Perm.comment}),
    Role.records_officer: _OFFICER,
    Role.auditor: frozenset({Perm.search, Perm.hold, Perm.view_disposal, Perm.audit_read}),
    Role.admin: frozenset({Perm.search, Perm.manage_users, Perm.audit_read}),
}
#: what anyone may do on a store that has no users yet (the demo)
DEMO_PERMISSIONS = frozenset({Perm.ingest, Perm.search, Perm.audit_read})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in user, a system process, or nobody."""

    name: str
    perms: frozenset[Perm] = field(default_factory=frozenset)
    role: Role | None = None
    user_id: int | None = None
    clearance: str = "public"
    division: str | None = None

    def can(self, perm: Perm) -> bool:
        return perm in self.perms

    def require(self, perm: Perm) -> None:
        if perm not in self.perms:
            who = f"{self.name} ({self.role})" if self.role else self.name
            raise AccessDenied(f"{who} may not {perm.value}; log in as a user whose role may",
                               code="perm.denied", perm=perm.value)


def system_actor(name: str, *perms: Perm) -> Actor:
    """A scheduled process (e.g. the retention flow) acting with a fixed, small permission set."""
    return Actor(f"system:{name}", frozenset(perms), clearance="internal")


def user_actor(user: User) -> Actor:
    role = Role(user.role)
    return Actor(user.name, PERMISSIONS[role], role, user.id, user.clearance, user.division)


def parse_role(value: str) -> Role:
    try:
        return Role(value.replace("-", "_"))
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise ConfigError(f"unknown role {value!r}; roles: {known}") from None


def check_clearance(value: str) -> str:
    """A clearance by its code (``secret``) or legal name (``極機密``); ConfigError otherwise."""
    from pipeline.secrecy import parse_level  # secrecy needs Actor from here

    return parse_level(value)


def has_users(session: Session) -> bool:
    return bool(session.scalar(select(func.count(User.id))))


def _validate_new_user(session: Session, name: str, password: str) -> None:
    if not name or len(name) > 64 or name.startswith("system:") or name == "anonymous":
        raise ConfigError(f"invalid user name {name!r}")
    check_password(password, name)
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise ConfigError(f"user {name!r} exists already")


def add_user(session: Session, actor: Actor | None, name: str, role: Role, password: str,
             clearance: str = "internal", division: str | None = None) -> User:
    """Create a user. The very first user must be an admin and needs no actor; later only
    an admin may add users."""
    if has_users(session):
        if actor is None:
            raise AccessDenied("users exist: log in as an admin to add users")
        actor.require(Perm.manage_users)
    elif role is not Role.admin:
        raise AccessDenied("the first user of a store must be an admin")
    _validate_new_user(session, name, password)
    user = User(name=name, role=role.value, clearance=check_clearance(clearance),
                division=division, password_hash=_hasher.hash(password),
                created_by=actor.name if actor else None)
    session.add(user)
    session.flush()
    audit.append(session, actor.name if actor else name, "user.add", f"user:{name}",
                 {"role": role.value, "clearance": clearance, "division": division})
    return user


def set_active(session: Session, actor: Actor, name: str, active: bool) -> User:
    actor.require(Perm.manage_users)
    user = get_user(session, name)
    user.active = active
    if not active:
        _revoke_all(session, user.id)
    audit.append(session, actor.name, "user.enable" if active else "user.disable", f"user:{name}")
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def list_users(session: Session, actor: Actor) -> list[User]:
    actor.require(Perm.manage_users)
    return list(session.scalars(select(User).order_by(User.name)))


def _password_ok(user: User | None, password: str) -> bool:
    if user is None:
        _hasher.hash(password)  # same work as a real check: do not reveal which names exist
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with this password, or None (the caller records the failure)."""
    user = session.scalar(select(User).where(User.name == name))
    if not _password_ok(user, password) or user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def login(archive: Archive, name: str, password: str, address: str | None = None) -> str:
    """A new token for the user. Failures are counted per account and per client
    ``address`` (:mod:`pipeline.throttle`); a locked account or address is refused without
    checking the password. Failures and refusals are audited before the error is raised."""
    now = datetime.now(UTC)
    with audit.audited_session(archive) as session:
        locked = throttle.locked_until(session, name, address, now)
        user = authenticate(session, name, password) if locked is None else None
        token = issue_token(session, user) if user is not None else None
        if token is not None:
            throttle.record_success(session, name)
        else:
            details = {"address": address} if address else None
            action = "auth.login_locked" if locked else "auth.login_failed"
            audit.append(session, name[:64], action, f"user:{name[:59]}", details)
            if locked is None:
                throttle.record_failure(session, name, address, now)
    if locked is not None:
        raise AccessDenied(f"too many failed log-ins: locked until {locked.isoformat()}",
                           code="auth.locked", until=locked)
    if token is None:
        raise AccessDenied(f"login failed for {name!r}: wrong name or password, or disabled",
                           code="auth.failed")
    return token


def lift_lockout(session: Session, actor: Actor, scope: throttle.Scope, key: str) -> None:
    """An admin ends a login lockout of an account or a client address."""
    actor.require(Perm.manage_users)
    throttle.lift(session, actor.name, scope, key)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, ttl: timedelta = TOKEN_TTL) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.add(AuthToken(user_id=user.id, token_hash=token_digest(token), created_at=now,
                          expires_at=now + ttl))
    audit.append(session, user.name, "auth.login", f"user:{user.name}")
    return token


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def actor_for_token(session: Session, token: str) -> Actor:
    """The user a token belongs to; AccessDenied if unknown, expired, revoked or disabled."""
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= datetime.now(UTC):
        raise AccessDenied("the login token is unknown, expired or revoked: run `records login`")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise AccessDenied("the user of this login token is disabled")
    return user_actor(user)


def resolve_actor(session: Session, token: str | None) -> Actor:
    """Who is acting: the token's user; without a token, a demo visitor or nobody."""
    if token:
        return actor_for_token(session, token)
    if has_users(session):
        return Actor("anonymous")
    return Actor("anonymous", DEMO_PERMISSIONS, clearance="internal")


def revoke(session: Session, token: str) -> None:
    row = session.scalar(select(AuthToken).where(AuthToken.token_hash == token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        user = session.get(User, row.user_id)
        audit.append(session, user.name if user else "?", "auth.logout", f"token:{row.id}")


def _revoke_all(session: Session, user_id: int) -> None:
    now = datetime.now(UTC)
    for row in session.scalars(select(AuthToken).where(AuthToken.user_id == user_id,
                                                       AuthToken.revoked_at.is_(None))):
        row.revoked_at = now
