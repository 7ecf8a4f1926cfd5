"""Scheduled maintenance as Prefect flows: the fixity check of the store.

``python -m flows.maintenance --cron "0 3 * * 0"`` serves it (every Sunday at 03:00 by
default): Prefect keeps each run's state and result, and a run whose check found a
missing, changed or orphan blob ends *Failed*, so it shows up where operators look. It
acts as the system actor ``system:fixity``, which may read the audit trail and nothing
else; every run writes its outcome to the audit trail.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows._retry import storage_blip
from flows._scheduled import archive_from, main
from pipeline import fixity
from pipeline.archive import Archive
from pipeline.auth import Perm, system_actor
from pipeline.settings import Settings

FIXITY_ACTOR = system_actor("fixity", Perm.audit_read)
DEFAULT_CRON = "0 3 * * 0"


def run_fixity(
    archive: Archive, orphan_grace: float = fixity.ORPHAN_GRACE_SECONDS
) -> dict[str, Any]:
    """The engine-free core: check, audit, and raise IntegrityFailure on any problem."""
    report = fixity.run(archive, FIXITY_ACTOR, orphan_grace)
    fixity.require_intact(report)
    return report.to_dict()


@task(
    name="fixity-check",
    retries=2,
    retry_delay_seconds=30,
    retry_condition_fn=storage_blip,
    cache_policy=NO_CACHE,
)
def fixity_task(settings_json: str, orphan_grace: float) -> dict[str, Any]:
    with archive_from(settings_json) as archive:
        return run_fixity(archive, orphan_grace)


@flow(name="fixity-check", validate_parameters=False, log_prints=False)
def fixity_flow(
    settings_json: str | None = None, orphan_grace: float = fixity.ORPHAN_GRACE_SECONDS
) -> dict[str, Any]:
    """Re-hash the store; fails (IntegrityFailure) when anything is missing or changed."""
    settings_json = settings_json or Settings().model_dump_json()  # served: read at run time
    result: dict[str, Any] = fixity_task(settings_json, orphan_grace)
    return result


def serve(cron: str = DEFAULT_CRON) -> None:
    """Serve the fixity flow with a cron schedule until stopped."""
    fixity_flow.serve(name="fixity-check", cron=cron)


if __name__ == "__main__":
    main(__doc__, serve, DEFAULT_CRON)
