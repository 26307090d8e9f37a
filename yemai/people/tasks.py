"""Background tasks of the people registry: fetch the job by id, run it, nothing more."""

from yemai.core.tasks import task

from .import_jobs import TASK, import_job_run


# One attempt more than the job allows itself (import_jobs.MAX_TRIES), so that a job whose
# worker was lost every time still ends as failed. The lease outlasts a long import: a
# second runner must not start the same file while the first is still writing it.
@task(TASK, max_attempts=3, lease_s=3600)
def run_import(*, job_id: int) -> None:
    import_job_run(job_id=job_id)
