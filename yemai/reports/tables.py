"""Statistical tables (统计表) of a grid node for any period, as one xlsx workbook."""

from __future__ import annotations

from yemai.core.xlsx import Sheet, workbook_bytes

from .figures import pct


def _village_of(path: str, children) -> str:
    for child in children:
        if path.startswith(child.path):
            return child.name
    return ""


def statistical_tables(data: dict) -> bytes:
    node, period = data["node"], data["period"]
    now, last = data["now"], data["last"]
    acts = now["activities"]
    sheets = [
        Sheet(
            name="活动统计",
            title=f"{period.words}活动统计表",
            headers=[
                "活动类型",
                "次数",
                "参加人次",
                "其中五老",
                "宣传资料（册）",
                "横幅（条）",
                "展板（幅）",
                "去年同期次数",
            ],
            rows=[
                [
                    t,
                    a["count"],
                    a["participants"],
                    a["five_elders"],
                    a["brochures"],
                    a["banners"],
                    a["boards"],
                    last["activities"].get(t, {}).get("count", 0),
                ]
                for t, a in acts.items()
            ],  # fmt: skip
            totals=[
                "",
                sum(a["count"] for a in acts.values()),
                sum(a["participants"] for a in acts.values()),
            ],
        )
    ]
    by_village: dict[str, list[int]] = {}
    for path, v in data["activity_by_grid"].items():
        name = _village_of(path, data["children"]) or node.name
        got = by_village.setdefault(name, [0, 0])
        got[0] += v["count"]
        got[1] += v["participants"]
    sheets.append(
        Sheet(
            name="各网格活动",
            title=f"{period.words}各网格活动统计表",
            headers=["网格", "活动次数", "参加人次"],
            rows=[[k, *v] for k, v in sorted(by_village.items())],
            totals=[
                "",
                sum(v[0] for v in by_village.values()),
                sum(v[1] for v in by_village.values()),
            ],
        )
    )
    rows = list(data["cases_by_grid"])
    sheets.append(
        Sheet(
            name="案件统计",
            title=f"{period.words}网格案件统计表",
            headers=[
                "网格",
                "上报",
                "立案",
                "立案率",
                "处置",
                "按期处置率",
                "结案",
                "结案率",
                "返工",
                "满意率",
            ],
            rows=[
                [
                    r["label"],
                    r["reported"],
                    r["registered"],
                    pct(r["registration_rate"]),
                    r["handled"],
                    pct(r["on_time_handling_rate"]),
                    r["closed"],
                    pct(r["closing_rate"]),
                    r["reworked"],
                    pct(r["satisfaction_share"]),
                ]
                for r in rows
            ],  # fmt: skip
            totals=["", sum(r["reported"] for r in rows), sum(r["registered"] for r in rows)],
        )
    )
    w, p, s, d, sv = now["welfare"], now["petitions"], now["safety"], now["deeds"], now["services"]
    summary = [
        ["民生保障", "期末在保低保户", w["dibao"], "户"],
        ["民生保障", "期末在保特困户", w["tekun"], "户"],
        ["民生保障", "新纳入", w["entered"], "户"],
        ["民生保障", "退出", w["exited"], "户"],
        ["民生保障", "临时救助", w["relief"], "人次"],
        ["民生保障", "临时救助金额", w["relief_amount"], "元"],
        ["便民服务", "服务需求", sv["requests"], "件"],
        ["便民服务", "办结", sv["done"], "件"],
        ["平安建设", "受理信访", p["received"], "件"],
        ["平安建设", "信访销号", p["closed"], "件"],
        ["平安建设", "安全检查", s["inspections"], "次"],
        ["平安建设", "发现隐患", s["hazards"], "处"],
        ["平安建设", "隐患已整改", s["rectified"], "处"],
        ["见义勇为", "登记", d["registered"], "件"],
        ["见义勇为", "确认", d["confirmed"], "件"],
        ["见义勇为", "表彰奖励", d["commended"], "件"],
    ]
    sheets.append(
        Sheet(
            name="综合统计",
            title=f"{period.words}综合统计表",
            headers=["类别", "指标", "数值", "单位"],
            rows=summary,
        )
    )
    for campaign, ranking in data["campaigns"]:
        sheets.append(
            Sheet(
                name=f"会战排名{campaign.pk}",
                title=f"{campaign.name}督查排名",
                headers=["排名", "村（社区）", "督查次数", "平均得分", "任务完成率", "整改意见"],
                rows=[
                    [
                        r["rank"],
                        r["grid"].name,
                        r["inspections"],
                        round(r["score"], 1) if r["score"] is not None else "未督查",
                        pct(r["completion"]),
                        r["rectification"],
                    ]
                    for r in ranking
                ],  # fmt: skip
                numbered=False,
            )
        )
    return workbook_bytes(sheets, unit_name=node.name)
