"""Users, roles, clearance, argon2 passwords, login tokens and the no-user demo."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline import auth
from pipeline.archive import Archive
from pipeline.audit import audited_session
from pipeline.auth import Perm, Role
from pipeline.db.models import AuditEntry, AuthToken, User
from pipeline.errors import AccessDenied, ConfigError
from tests.lifecycle_support import (
    PASSWORD,
    cli,
    config_home,
    fast_hashing,
    lc_archive,
    login,
    make_doc,
    rules_env,
)

__all__ = ["config_home", "fast_hashing", "lc_archive", "rules_env"]


def _add(*args: str, password: str = PASSWORD) -> int:
    return cli("user", "add", *args, "--password-stdin", input=password + "\n").exit_code


def test_first_user_must_be_an_admin_and_later_only_admins_add(lc_archive: Archive) -> None:
    assert _add("alice", "--role", "records-officer") == 8
    assert _add("root", "--role", "admin") == 0
    assert _add("bob", "--role", "records-officer") == 8  # nobody logged in
    login("root")
    assert _add("bob", "--role", "records-officer", "--clearance", "confidential") == 0
    assert _add("bob", "--role", "clerk") == 5  # exists
    assert _add("carol", "--role", "janitor") == 5
    assert _add("carol", "--role", "clerk", password="short") == 5
    login("bob")
    assert _add("carol", "--role", "clerk") == 8  # officers do not manage users
    with lc_archive.session() as s:
        bob = s.scalar(select(User).where(User.name == "bob"))
    assert bob is not None and (bob.role, bob.clearance) == ("records_officer", "confidential")
    assert bob.password_hash.startswith("$argon2id$") and PASSWORD not in bob.password_hash


def test_login_keeps_a_private_token_stored_hashed(lc_archive: Archive,
                                                   config_home: Path) -> None:
    assert _add("root", "--role", "admin") == 0
    login("root")
    path = config_home / "tainan-records" / "token"
    token = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with lc_archive.session() as s:
        hashes = list(s.scalars(select(AuthToken.token_hash)))
    assert token not in hashes and auth.token_digest(token) in hashes
    who = json.loads(cli("whoami", "--json").stdout)
    assert (who["name"], who["role"]) == ("root", "admin")
    assert cli("logout").exit_code == 0
    assert not path.exists()
    with lc_archive.session() as s:
        assert s.scalar(select(AuthToken.revoked_at)) is not None


def test_records_token_env_overrides_the_saved_token(lc_archive: Archive,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with audited_session(lc_archive) as s:
        admin = auth.user_actor(auth.add_user(s, None, "root", Role.admin, PASSWORD))
        auth.add_user(s, admin, "ann", Role.auditor, PASSWORD)
    login("root")
    printed = cli("login", "ann", "--password-stdin", "--print-token", input=PASSWORD + "\n")
    monkeypatch.setenv("RECORDS_TOKEN", printed.stdout.strip())
    assert json.loads(cli("whoami", "--json").stdout)["name"] == "ann"
    monkeypatch.setenv("RECORDS_TOKEN", "forged")
    assert cli("whoami").exit_code == 8


def test_login_failures_are_audited(lc_archive: Archive) -> None:
    assert _add("root", "--role", "admin") == 0
    bad = cli("login", "root", "--password-stdin", input="wrong password\n")
    assert bad.exit_code == 8
    assert cli("login", "ghost", "--password-stdin", input=PASSWORD + "\n").exit_code == 8
    with lc_archive.session() as s:
        failed = s.scalars(select(AuditEntry.target).where(
            AuditEntry.action == "auth.login_failed")).all()
    assert failed == ["user:root", "user:ghost"]


def test_disabled_user_and_expired_token_are_refused(lc_archive: Archive) -> None:
    with audited_session(lc_archive) as s:
        admin = auth.user_actor(auth.add_user(s, None, "root", Role.admin, PASSWORD))
        auth.add_user(s, admin, "dan", Role.clerk, PASSWORD)
        user = auth.get_user(s, "dan")
        token = auth.issue_token(s, user)
        old = auth.issue_token(s, user, ttl=timedelta(seconds=-1))
    with lc_archive.session() as s:
        assert auth.actor_for_token(s, token).name == "dan"
        with pytest.raises(AccessDenied, match="expired"):
            auth.actor_for_token(s, old)
    with audited_session(lc_archive) as s:
        auth.set_active(s, admin, "dan", False)
    with lc_archive.session() as s, pytest.raises(AccessDenied):
        auth.actor_for_token(s, token)
    with lc_archive.session() as s:
        assert auth.authenticate(s, "dan", PASSWORD) is None
        assert all(t.revoked_at is not None for t in s.scalars(select(AuthToken)))


def test_roles_and_clearance(lc_archive: Archive) -> None:
    assert Perm.approve in auth.PERMISSIONS[Role.records_officer]
    for role in (Role.clerk, Role.staff, Role.auditor, Role.admin):
        assert Perm.approve not in auth.PERMISSIONS[role]
        assert Perm.execute not in auth.PERMISSIONS[role]
    assert Perm.manage_users not in auth.PERMISSIONS[Role.records_officer]  # duties separated
    with pytest.raises(ConfigError):
        auth.check_clearance("ultra-secret")
    assert auth.check_clearance("極機密") == auth.check_clearance("secret") == "secret"
    assert auth.parse_role("records-officer") is Role.records_officer


def test_demo_store_without_users_ingests_and_searches_but_never_approves(
        lc_archive: Archive) -> None:
    make_doc(lc_archive, text="示範文件 公文稽催")
    with lc_archive.session() as s:
        visitor = auth.resolve_actor(s, None)
    assert visitor.can(Perm.ingest) and visitor.can(Perm.search)
    assert not any(visitor.can(p) for p in (Perm.approve, Perm.execute, Perm.hold, Perm.sweep))
    found = cli("search", "稽催", "--json")
    assert found.exit_code == 0 and json.loads(found.stdout)["total"] == 1
    assert cli("retention", "sweep", "--json").exit_code == 8
    assert cli("disposal", "approve", "1", "--reason", "x", "--authority-ref", "y").exit_code == 8
    assert cli("audit", "verify").exit_code == 0
    with audited_session(lc_archive) as s:
        auth.add_user(s, None, "root", Role.admin, PASSWORD)
    with lc_archive.session() as s:
        assert auth.resolve_actor(s, None).perms == frozenset()
