"""The retention sweep as a Prefect flow, to be served on a schedule.

``python -m flows.retention --cron "0 2 * * *"`` (or ``records retention serve``) serves it:
Prefect runs it every night at 02:00 and keeps each run's state and result. It acts as the
system actor ``system:retention-sweep``, which may sweep and nothing else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows._retry import storage_blip
from flows._scheduled import archive_from, main
from pipeline.archive import Archive
from pipeline.auth import Perm, system_actor
from pipeline.destruction import today
from pipeline.filing import schedule_for
from pipeline.settings import Settings
from pipeline.sweep import sweep

SWEEP_ACTOR = system_actor("retention-sweep", Perm.sweep)
DEFAULT_CRON = "0 2 * * *"


def run_sweep(archive: Archive, as_of: date) -> dict[str, Any]:
    """One sweep in one transaction; the engine-free core of the task."""
    schedule = schedule_for(archive.settings, as_of)
    with archive.transaction() as session:
        report = sweep(session, SWEEP_ACTOR, schedule, as_of)
    return report.to_dict()


@task(
    name="retention-sweep",
    retries=2,
    retry_delay_seconds=10,
    retry_condition_fn=storage_blip,
    cache_policy=NO_CACHE,
)
def sweep_task(settings_json: str, as_of: date) -> dict[str, Any]:
    with archive_from(settings_json) as archive:
        return run_sweep(archive, as_of)


@flow(name="retention-sweep", validate_parameters=False, log_prints=False)
def retention_sweep_flow(
    settings_json: str | None = None, as_of: str | None = None
) -> dict[str, Any]:
    """Sweep as of the day of the run; another ``as_of`` (ISO date) only previews."""
    settings_json = settings_json or Settings().model_dump_json()  # served: read at run time
    when = date.fromisoformat(as_of) if as_of else today()
    result: dict[str, Any] = sweep_task(settings_json, when)
    return result


def serve(cron: str = DEFAULT_CRON) -> None:
    """Serve the flow with a cron schedule until stopped."""
    retention_sweep_flow.serve(name="retention-sweep", cron=cron)


if __name__ == "__main__":
    main(__doc__, serve, DEFAULT_CRON)
