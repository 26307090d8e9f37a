"""The demo town gives the demo member yesterday's patrol; a reset starts it over."""

import io

import pytest
from django.core.management import call_command

from yemai.duty.models import Patrol, TrackPoint


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, "--scale", "0.02", "-v", "0", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_member_has_walked_a_patrol(settings):
    settings.DEMO = True
    run_demo("--seed", "3")
    patrol = Patrol.objects.get()
    assert patrol.member.username == "member" and patrol.grid == patrol.member.scope
    assert patrol.ended_at is not None and patrol.point_count == 180
    assert patrol.length_m > 100
    run_demo("--seed", "3", "--reset")
    assert Patrol.objects.count() == 1 and TrackPoint.objects.count() == 180
