"""Background tasks of the reports: fetch the job by id, render it, nothing more."""

from yemai.core.tasks import task

from .services import report_job_run


@task("reports.render", max_attempts=2, lease_s=900)
def render(*, job_id: int) -> None:
    report_job_run(job_id=job_id)
