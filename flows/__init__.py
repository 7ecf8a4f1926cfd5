"""Prefect flows: thin wrappers that run the steps of ``pipeline`` as tasks.

Importing this package first puts Prefect in quiet local mode (see ``_env``).
"""

from __future__ import annotations

from flows import _env

_env.configure()
