"""The work report, read back: its numbers against counts made here, its layout, its PDF.

The .docx is opened with python-docx and every number checked against counts this test makes
itself from the rows it wrote (not through the report's queries). The report is also rendered
to PDF (LibreOffice) and PNG pages (pdftoppm), kept under tests/artifacts/reports/ for a person
to look at.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Pt
from openpyxl import load_workbook

from tests.ledgers.data import YEAR, year_of_work
from yemai.cases.choices import Source
from yemai.cases.models import Case, Category
from yemai.cases.services import case_report
from yemai.ledgers import models
from yemai.reports.figures import year_period
from yemai.reports.services import docx_to_pdf, render_work

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "reports"


def _cases(t, year: int, n_dongmen: int, n_ximen: int) -> None:
    stall = Category.objects.get(code="0203")
    for grid, n in ((t.dongmen1, n_dongmen), (t.ximen1, n_ximen)):
        for i in range(n):
            case, _ = case_report(
                source=Source.PATROL, category=stall, description=f"占道经营{i}",
                lon=grid.min_lon + 0.003, lat=grid.min_lat + 0.003,
                now=dt.datetime(year, 5, 1 + i, 9, tzinfo=dt.UTC),
            )  # fmt: skip


def text_of(content: bytes) -> tuple[Document, str]:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return doc, "\n".join(parts)


@pytest.fixture
def report(town):
    year_of_work(town)
    _cases(town, YEAR, 3, 2)
    _cases(town, YEAR - 1, 1, 1)
    docx, xlsx, timing = render_work(user=town.town_head, node=town.town, period=year_period(YEAR))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "town-work-report.docx").write_bytes(docx)
    (ARTIFACTS / "town-work-report-figures.xlsx").write_bytes(xlsx)
    return town, docx, xlsx


def test_its_numbers_are_the_counts_of_the_ledgers_and_cases(report):
    t, docx, _xlsx = report
    _doc, text = text_of(docx)
    start, end = dt.date(YEAR, 1, 1), dt.date(YEAR + 1, 1, 1)
    lectures = models.Activity.objects.filter(type__name="普法讲座", date__gte=start, date__lt=end)
    people = sum(a.participants for a in lectures)
    last = models.Activity.objects.filter(type__name="普法讲座", date__year=YEAR - 1).count()
    change = (lectures.count() - last) / last * 100
    assert f"共开展法律知识讲座{lectures.count()}场，比去年同期增加{change:.1f}%" in text
    assert f"受教育青少年{people}人次" in text
    patrols = models.Activity.objects.filter(type__name="网吧巡查", date__year=YEAR)
    assert f"共开展网吧巡查{patrols.count()}次" in text
    assert f"其中参与五老人员{sum(a.five_elders for a in patrols)}人次" in text
    square = models.Activity.objects.get(type__name="广场宣传")
    assert (
        f"发放宣传资料{square.brochures:,}册" in text or f"发放宣传资料{square.brochures}册" in text
    )
    assert f"制作宣传横幅{square.banners}条" in text and f"展板宣传画{square.boards}幅" in text
    total = models.Activity.objects.filter(date__year=YEAR).count()
    assert f"共计开展各类活动{total}次" in text
    reported = Case.objects.filter(reported_at__year=YEAR).count()
    last_cases = Case.objects.filter(reported_at__year=YEAR - 1).count()
    assert (
        f"共发现上报问题{reported}件，比去年同期增加{(reported - last_cases) / last_cases * 100:.1f}%"
        in text
    )
    teams = models.VolunteerTeam.objects.count()
    assert f"现有志愿服务队{teams}支" in text and "网吧巡逻监督队" in text
    assert (
        f"其中五老人员{models.VolunteerMember.objects.filter(five_elders=True).count()}人" in text
    )
    assert "共招收学员60名" in text and "申报三星级假日学校1家" in text
    dibao = models.WelfareHousehold.objects.filter(kind="dibao").count()
    assert f"期末在保低保户{dibao}户" in text
    assert "开展临时救助1人次" in text and "发放救助金1,500.00元" in text
    # The key person's petition is counted for a user who may see it only: the town head may not.
    assert "受理群众信访1件" in text
    assert "开展安全检查1次" in text and "发现安全隐患1处" in text and "转案件1件" in text
    assert "表彰奖励1件" in text and "发放奖励金5,000.00元" in text
    assert "东门社区以平均92.5分位列第一" in text and "西门村78.0分排名末位" in text


def test_it_never_prints_an_x_and_says_when_there_is_no_data(report):
    _t, docx, _xlsx = report
    _doc, text = text_of(docx)
    assert not re.search(r"(?<![A-Za-z])[xX]{1,3}(?![A-Za-z])", text)
    assert "急救演练：本年度无相关记录。" in text
    assert "主题党日活动：本年度无相关记录。" in text


def test_next_steps_are_left_as_a_highlighted_place_for_the_author(report):
    _t, docx, _xlsx = report
    doc, _text = text_of(docx)
    marked = [r for p in doc.paragraphs for r in p.runs if "待填写：下步打算" in r.text]
    assert marked and marked[0].font.highlight_color is not None
    headings = [p.text for p in doc.paragraphs if re.match(r"^[一二三四五六七]、", p.text)]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    assert headings[-1] == "六、下步打算"
    assert any("组织" in h for h in headings) and any("网格化管理" in h for h in headings)
    assert any("民生" in h for h in headings) and any("平安建设" in h for h in headings)


def test_it_has_the_layout_of_gbt_9704(report):
    _t, docx, _xlsx = report
    doc, _text = text_of(docx)
    section = doc.sections[0]
    mm = lambda v: round(v.mm, 1)  # noqa: E731 — Word stores twips: 37 mm is 2098 twips
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (37, 35)
    assert (mm(section.left_margin), mm(section.right_margin)) == (28, 26)
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    title = doc.paragraphs[0].runs[0]
    assert title.font.size == Pt(22)
    fonts = title._r.rPr.rFonts
    assert (
        fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "方正小标宋简体"
    )
    body = next(p for p in doc.paragraphs if p.text.startswith(f"{YEAR}年，"))
    east = body.runs[0]._r.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    )
    assert east == "仿宋_GB2312" and body.runs[0].font.size == Pt(16)
    assert doc.styles["Normal"].paragraph_format.line_spacing == Pt(28)
    h2 = next(p for p in doc.paragraphs if p.text.startswith("（一）"))
    assert (
        h2.runs[0]._r.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
        == "楷体_GB2312"
    )
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("— ") and footer.text.endswith(" —")
    assert "PAGE" in footer._p.xml
    assert len(doc.inline_shapes) >= 2  # the charts


def test_the_companion_workbook_traces_every_figure(report):
    _t, docx, xlsx = report
    _doc, text = text_of(docx)
    sheet = load_workbook(io.BytesIO(xlsx)).worksheets[0]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(rows) > 40
    by_label = {r[2]: r for r in rows}
    lecture = by_label["普法讲座次数"]
    assert lecture[3] == 3 and lecture[5] == 2  # value, last year
    assert "活动类型=普法讲座" in lecture[7] and f"{YEAR}-01-01 至 {YEAR}-12-31" in lecture[7]
    for row in rows:
        assert row[6], row  # every figure sits in a sentence of the report
        assert row[6] in text, row


def test_a_village_report_counts_only_that_village(town):
    year_of_work(town)
    docx, _xlsx, _t = render_work(
        user=town.dongmen_head, node=town.dongmen, period=year_period(YEAR)
    )
    (ARTIFACTS / "village-work-report.docx").write_bytes(docx)
    _doc, text = text_of(docx)
    assert f"{town.dongmen.name}{YEAR}年工作汇报" in text
    assert "共开展法律知识讲座2场" in text  # 东门 has two of the three
    assert "西门村" not in text


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
def test_it_renders_to_pdf_and_png_pages_for_a_person_to_look_at(report):
    _t, docx, _xlsx = report
    pdf = docx_to_pdf(docx)
    assert pdf[:5] == b"%PDF-"
    path = ARTIFACTS / "town-work-report.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    for old in ARTIFACTS.glob("town-work-report-page-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", str(path), str(ARTIFACTS / "town-work-report-page")],
        check=True,
    )
    pages = sorted(ARTIFACTS.glob("town-work-report-page-*.png"))
    assert len(pages) >= 3


def test_the_town_totals_of_cases_are_those_of_case_metrics(report):
    """The report adds the rows by grid up instead of scanning the cases again: the sums and
    recomputed rates must be case_metrics' own totals."""
    from yemai.cases.metrics import case_metrics
    from yemai.reports.figures import cases_total

    t, _docx, _xlsx = report
    kw = {"user": t.town_head, "start": dt.date(YEAR, 1, 1), "end": dt.date(YEAR + 1, 1, 1)}
    total = case_metrics(group_by="total", **kw)[0]
    summed = cases_total(case_metrics(group_by="grid", **kw))
    for key, value in summed.items():
        assert value == pytest.approx(total[key]), key
