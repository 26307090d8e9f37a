"""Background tasks of the outbox."""

from yemai.core.tasks import task

from .delivery import channel_deliver


# The notices keep their own attempts and backoff; the task's retries only cover a crash of
# the delivery loop itself (a database hiccup).
@task("notify.deliver", max_attempts=20, retry_base_s=10, retry_cap_s=600, lease_s=600)
def deliver(*, channel_id: int) -> None:
    """Send the notices waiting for one channel (投递通知)."""
    channel_deliver(channel_id=channel_id)
