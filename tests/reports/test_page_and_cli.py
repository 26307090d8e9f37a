"""The reports page (background job, JSON status, downloads) and the ``yemai report`` command."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from openpyxl import load_workbook

from tests.ledgers.data import YEAR, year_of_work
from yemai.core.tasks import Runner
from yemai.reports.models import ReportJob


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _start(client, **form):
    data = {
        "node": "",
        "kind": "work",
        "start": f"{YEAR}-01-01",
        "end": f"{YEAR}-12-31",
        "campaign": "",
    }
    data.update(form)
    return client.post("/reports/", data)


def test_a_village_head_makes_the_report_in_the_background_and_downloads_it(town, client, media):
    year_of_work(town)
    client.force_login(town.dongmen_head)
    page = client.get("/reports/")
    assert page.status_code == 200 and "东门社区" in page.content.decode()
    assert b"<script>" not in page.content and b"onclick" not in page.content
    response = _start(client, node=town.dongmen.code)
    assert response.status_code == 302
    job = ReportJob.objects.get()
    status = client.get(f"/reports/jobs/{job.pk}/status").json()
    assert status["state"] == "pending" and status["files"] == {}
    assert Runner().run_due() == 1
    status = client.get(f"/reports/jobs/{job.pk}/status").json()
    assert status["state"] == "done" and status["progress"] == 100
    # The PDF comes from LibreOffice where it is installed (CI has it).
    assert (
        set(status["files"]) == {"docx", "xlsx", "pdf"}
        if shutil.which("soffice")
        else {"docx", "xlsx"}
    )
    if "pdf" in status["files"]:
        assert b"".join(client.get(status["files"]["pdf"]).streaming_content)[:5] == b"%PDF-"
    docx = b"".join(client.get(status["files"]["docx"]).streaming_content)
    text = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert f"东门社区{YEAR}年工作汇报" in text and "共开展法律知识讲座2场" in text
    xlsx = b"".join(client.get(status["files"]["xlsx"]).streaming_content)
    assert load_workbook(io.BytesIO(xlsx)).worksheets[0].title == "数字来源"
    client.force_login(town.ximen_head)
    assert client.get(f"/reports/jobs/{job.pk}/status").status_code == 404
    assert client.get(status["files"]["docx"]).status_code == 404


def test_a_report_outside_the_scope_or_without_the_role_is_refused(town, client, media):
    client.force_login(town.dongmen_head)
    response = _start(client, node=town.ximen.code)
    assert response.status_code == 400 and "330282001002" in response.content.decode()
    response = _start(client, node=town.dongmen.code, start="2026-12-31", end="2026-01-01")
    assert response.status_code == 400
    client.force_login(town.dongmen1_member)
    assert _start(client, node=town.dongmen1.code).status_code == 400
    assert ReportJob.objects.count() == 0


def test_a_campaign_notice_praises_the_first_and_names_the_last(town, client, media):
    year_of_work(town)
    client.force_login(town.town_head)
    assert (
        _start(
            client, node=town.town.code, kind="notice", campaign=str(town.campaign.pk)
        ).status_code
        == 302
    )
    Runner().run_due()
    job = ReportJob.objects.get()
    assert job.state == "done", job.error
    doc = Document(job.docx.open("rb"))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "关于环境卫生整治会战督查情况的通报" in text
    assert "东门社区高度重视" in text and "予以通报表扬" in text
    assert "西门村督查平均得分78.0分，排名末位" in text and "十日内清理边沟" in text
    ranks = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert ranks[1][:2] == ["1", "东门社区"] and ranks[2][:2] == ["2", "西门村"]


def test_the_command_writes_the_report_its_figures_and_tables(town, tmp_path):
    year_of_work(town)
    out = tmp_path / "town.docx"
    call_command(
        "report",
        "work",
        "--node",
        town.town.code,
        "--year",
        str(YEAR),
        "--out",
        str(out),
        verbosity=0,
    )
    assert out.exists() and (tmp_path / "town-数字来源.xlsx").exists()
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "共开展法律知识讲座3场" in text
    tables = tmp_path / "tables.xlsx"
    call_command("report", "tables", "--node", town.dongmen.code, "--start", f"{YEAR}-01-01",
                 "--end", f"{YEAR}-06-30", "--out", str(tables), verbosity=0)  # fmt: skip
    book = load_workbook(tables)
    rows = list(book["活动统计"].iter_rows(min_row=3, values_only=True))
    assert [r[1:3] for r in rows if r[0] != "合计"] == [("普法讲座", 2), ("网吧巡查", 1)]
    artifacts = Path(__file__).resolve().parents[1] / "artifacts" / "reports"
    artifacts.mkdir(parents=True, exist_ok=True)
    notice = artifacts / "campaign-notice.docx"  # kept for a person to look at
    call_command("report", "notice", "--campaign", "环境卫生整治会战", "--out", str(notice))
    assert "通报表扬" in "\n".join(p.text for p in Document(str(notice)).paragraphs)


def test_the_command_names_what_is_wrong(town, tmp_path):
    with pytest.raises(CommandError, match="330282999"):
        call_command("report", "work", "--node", "330282999", "--out", str(tmp_path / "x.docx"))
    with pytest.raises(CommandError, match="not a date"):
        call_command("report", "tables", "--node", town.town.code, "--start", "2026-13-01",
                     "--end", "2026-12-31", "--out", str(tmp_path / "x.xlsx"))  # fmt: skip
