"""The password policy: at least 12 characters, not a commonly used password, not the name.

The list of common passwords is data (``pipeline/data/common-passwords.txt.gz``, see its
NOTICE): Royce Williams' list of the 20,000 most used passwords, as Django ships it.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from pipeline.errors import ConfigError

MIN_LENGTH = 12
COMMON_LIST = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords, lowercased."""
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def check_password(password: str, name: str = "") -> None:
    """ConfigError (with a message code) unless the password meets the policy."""
    if len(password) < MIN_LENGTH:
        raise ConfigError(f"a password needs at least {MIN_LENGTH} characters",
                          code="password.too_short", min=MIN_LENGTH)
    folded = password.strip().lower()
    if folded in common_passwords():
        raise ConfigError("this password is on the list of commonly used passwords",
                          code="password.common")
    if name and folded == name.strip().lower():
        raise ConfigError("the password must not be the user name", code="password.is_name")
