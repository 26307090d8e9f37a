"""Background tasks of the closed loop: fetch, call a service, nothing more."""

from yemai.core.tasks import task

from . import deadlines


@task(deadlines.TICK_TASK, max_attempts=2, lease_s=120)
def deadline_tick(**_ignored) -> None:
    """The periodic deadline watch: enqueue the next minute's run, then do this minute's.

    The successor is enqueued first so that a failing tick does not end the chain.
    """
    deadlines.deadline_schedule()
    deadlines.deadline_tick()
