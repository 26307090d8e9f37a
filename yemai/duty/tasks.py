"""Background tasks of field duty: fetch, call a service, nothing more."""

from yemai.core.tasks import task

from . import retention


@task(retention.PURGE_TASK, max_attempts=3, lease_s=600)
def sensitive_purge(*, day: str = "", **_ignored) -> None:
    """The daily retention purge: enqueue tomorrow's run first (so a failing run does not end
    the chain), then delete what is past its retention."""
    retention.purge_schedule(after=day)
    retention.sensitive_purge(via="task")
