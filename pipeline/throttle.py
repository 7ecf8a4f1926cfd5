"""Login throttling: failed log-ins are counted per account and per client address.

``ACCOUNT_LIMIT`` failures of one account name within ``WINDOW`` lock that account for
``LOCKOUT``; ``ADDRESS_LIMIT`` failures from one client address lock the address (it is
higher, because a whole office may share one address). While locked, even the right
password is refused without being checked. A success clears the account's count (not
the address's: an attacker's own account must not reset it). An admin lifts a lockout
at once (``records user unlock``, the web page ``/admin/lockouts``). Lockouts, refusals
and lifts are written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import audit
from pipeline.db.models import LoginThrottle
from pipeline.errors import NotFound

ACCOUNT_LIMIT = 20
ADDRESS_LIMIT = 100
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=30)
KEY_LENGTH = 128


class Scope(StrEnum):
    account = "account"
    address = "address"


LIMITS = {Scope.account: ACCOUNT_LIMIT, Scope.address: ADDRESS_LIMIT}


@dataclass(frozen=True)
class Lockout:
    """An active lockout, as the admin page and ``records user lockouts`` show it."""

    scope: Scope
    key: str
    failures: int
    locked_until: datetime

    def to_dict(self) -> dict[str, object]:
        return {"scope": self.scope.value, "key": self.key, "failures": self.failures,
                "locked_until": self.locked_until.isoformat()}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _keys(name: str, address: str | None) -> list[tuple[Scope, str]]:
    keys = [(Scope.account, name[:KEY_LENGTH])]
    if address:
        keys.append((Scope.address, address[:KEY_LENGTH]))
    return keys


def _row(session: Session, scope: Scope, key: str) -> LoginThrottle | None:
    return session.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope.value,
                                                      LoginThrottle.key == key))


def locked_until(session: Session, name: str, address: str | None,
                 now: datetime) -> datetime | None:
    """When the latest lockout covering this attempt ends, or None if it may go ahead."""
    ends = []
    for scope, key in _keys(name, address):
        row = _row(session, scope, key)
        if row is not None and row.locked_until is not None and _aware(row.locked_until) > now:
            ends.append(_aware(row.locked_until))
    return max(ends) if ends else None


def record_failure(session: Session, name: str, address: str | None, now: datetime) -> None:
    """Count a failed log-in; lock what reaches its limit (audited as ``auth.lockout``)."""
    for scope, key in _keys(name, address):
        row = _row(session, scope, key)
        if row is None:
            row = LoginThrottle(scope=scope.value, key=key, failures=0, window_start=now)
            session.add(row)
        elif now - _aware(row.window_start) > WINDOW:
            row.failures, row.window_start = 0, now
        row.failures += 1
        if row.failures >= LIMITS[scope]:
            row.locked_until = now + LOCKOUT
            row.failures, row.window_start = 0, now
            audit.append(session, "system:throttle", "auth.lockout", f"{scope.value}:{key}",
                         {"until": row.locked_until.isoformat(), "limit": LIMITS[scope]})
    session.flush()


def record_success(session: Session, name: str) -> None:
    row = _row(session, Scope.account, name[:KEY_LENGTH])
    if row is not None:
        row.failures = 0


def active(session: Session, now: datetime) -> list[Lockout]:
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.locked_until.is_not(None))
                           .order_by(LoginThrottle.scope, LoginThrottle.key))
    return [Lockout(Scope(r.scope), r.key, r.failures, _aware(r.locked_until))
            for r in rows if r.locked_until is not None and _aware(r.locked_until) > now]


def lift(session: Session, by: str, scope: Scope, key: str) -> None:
    """End a lockout now and forget its failures (audited as ``auth.unlock``); the caller
    checks that ``by`` may (``pipeline.auth.lift_lockout``)."""
    row = _row(session, scope, key[:KEY_LENGTH])
    if row is None or row.locked_until is None:
        raise NotFound(f"no lockout of {scope.value} {key!r}", code="lockout.not_found",
                       key=key)
    row.locked_until, row.failures = None, 0
    audit.append(session, by, "auth.unlock", f"{scope.value}:{row.key}")
