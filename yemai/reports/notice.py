"""A campaign notice (通报): the ranking of the villages, praise for the first, the last named
with its rectification opinions (整改意见), as a GB/T 9704 Word document."""

from __future__ import annotations

from django.utils import timezone

from .docx_gbt import OfficialDocument


def campaign_notice(*, campaign, ranking: list[dict], issuer: str) -> bytes:
    doc = OfficialDocument()
    doc.title(f"关于{campaign.name}督查情况的通报")
    doc.addressee("各村（社区）：")
    scored = [r for r in ranking if r["score"] is not None]
    start, end = campaign.start, campaign.end
    doc.paragraph(
        f"根据{issuer}工作部署，{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
        f"开展“{campaign.name}”。期间对各村（社区）任务完成情况进行了督查评分，现将有关情况通报如下："
    )
    doc.heading("一、督查排名情况", 1)
    if not scored:
        doc.paragraph("本次会战尚无督查评分记录。")
    headers = ["排名", "村（社区）", "督查次数", "平均得分", "任务完成率", "达标项目"]
    rows = [
        [r["rank"], r["grid"].name, r["inspections"],
         f"{r['score']:.1f}" if r["score"] is not None else "未督查",
         f"{r['completion'] * 100:.1f}%" if r["completion"] is not None else "无任务",
         f"{r['targets_met']}/{len(r['targets'])}"]
        for r in ranking
    ]  # fmt: skip
    if ranking:
        doc.table(headers, rows, caption=f"{campaign.name}督查排名表")
    if scored:
        best = scored[0]
        doc.heading("二、通报表扬", 1)
        doc.paragraph(
            f"{best['grid'].name}高度重视，组织有力，督查平均得分{best['score']:.1f}分，位列第一，予以通报表扬。"
        )
    if len(scored) > 1:
        worst = scored[-1]
        doc.heading("三、通报批评及整改意见", 1)
        doc.paragraph(
            f"{worst['grid'].name}督查平均得分{worst['score']:.1f}分，排名末位，予以通报批评。"
            + (f"存在的主要问题：{_sentence(worst['findings'])}" if worst["findings"] else "")
        )
        doc.paragraph(
            "整改意见：" + _sentence(worst["rectification"] or "请对照会战任务逐项整改到位")
            + "请于通报下发之日起七日内完成整改，并将整改情况书面报送。"
        )  # fmt: skip
    doc.paragraph(
        "希望各村（社区）以先进为榜样，查漏补缺，巩固整治成果，确保会战各项任务全面完成。"
    )
    doc.blank()
    doc.right(issuer)
    today = timezone.localdate()
    doc.right(f"{today.year}年{today.month}月{today.day}日")
    return doc.bytes()


def _sentence(text: str) -> str:
    """Text as a sentence: ends with a full stop."""
    text = text.strip()
    return text if text.endswith(("。", "！", "？", "；")) else text + "。"
