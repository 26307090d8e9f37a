"""A newcomer's path: the demo, then this year's report for the town and for one village."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from docx import Document

from yemai.grids.models import GridNode
from yemai.ledgers import models


@pytest.mark.django_db
def test_the_demo_gives_this_years_report_for_the_town_and_a_village(settings, tmp_path):
    settings.DEMO = True
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", "--seed", "3", "--scale", "0.02", "-v", "0", stdout=io.StringIO())
    year = timezone.localdate().year
    assert models.Activity.objects.filter(date__year=year).exists()
    assert models.Activity.objects.filter(date__year=year - 1).exists()  # for the comparisons
    assert (
        models.CampaignInspection.objects.exists()
        and models.Hazard.objects.exclude(case_number="").exists()
    )
    town = GridNode.objects.get(level="town")
    village = GridNode.objects.filter(level="village").order_by("code").first()
    for node in (town, village):
        out = tmp_path / f"{node.code}.docx"
        args = ["--node", node.code, "--year", str(year), "--out", str(out)]
        call_command("report", "work", *args, verbosity=0, stdout=io.StringIO())
        text = "\n".join(p.text for p in Document(str(out)).paragraphs)
        assert f"{node.name}{year}年工作汇报" in text
        assert re.search(r"共计开展各类活动\d+次", text)
        assert "比去年同期" in text
        assert not re.search(r"(?<![A-Za-z])[xX]{1,3}(?![A-Za-z])", text)
