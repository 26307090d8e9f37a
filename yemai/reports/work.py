"""The work report (工作汇报) of a grid node for a period, written from the ledgers and cases.

Its sections follow the source reports: 组织建设, the main work (every activity type with its
count and participants), 网格化管理 (the closed loop's figures), 民生保障, 平安建设, and
下步打算 left as a marked place for the author. Every number goes through ``FigureBook`` so the
companion workbook can say which filter produced it; a figure with no data says so in words.
"""

from __future__ import annotations

from yemai.core.xlsx import Sheet, workbook_bytes

from . import charts
from .docx_gbt import OfficialDocument
from .figures import FigureBook, compare, money, num, pct, rate

CN_NUMBERS = "一二三四五六七八九十"
PLACEHOLDER = "【待填写：下步打算】"

ACTIVITY_WORDS = {
    # type → (what it is called in a sentence, unit of count, who takes part)
    "亲子阅读": ("亲子阅读活动", "次", "参加人次"),
    "普法讲座": ("法律知识讲座", "场", "受教育青少年"),
    "警示影片": ("警示影片播放", "场次", "受教育青少年"),
    "广场宣传": ("广场宣传活动", "次", "服务群众"),
    "法律援助": ("法律援助", "次", "受援群众"),
    "网吧巡查": ("网吧巡查", "次", "参与人员"),
    "暑期假日学校": ("假日学校活动", "次", "参加学员"),
    "急救演练": ("急救演练", "次", "参加人员"),
    "关爱走访": ("关爱走访", "次", "走访对象"),
    "主题党日": ("主题党日活动", "次", "参加党员"),
}


class WorkReport:
    def __init__(self, data: dict):
        self.data = data
        self.node = data["node"]
        self.period = data["period"]
        self.now = data["now"]
        self.last = data["last"]
        self.book = FigureBook(self.node, self.period)
        self.doc = OfficialDocument()
        self.section = ""
        self._h1 = 0
        self.charts: list[tuple[str, bytes]] = []

    # --- helpers ------------------------------------------------------------------------

    def h1(self, text: str) -> None:
        self.section = text
        self._h1 += 1
        self._h2 = 0
        self.doc.heading(f"{CN_NUMBERS[self._h1 - 1]}、{text}", 1)

    def h2(self, text: str) -> None:
        self._h2 += 1
        self.doc.heading(f"（{CN_NUMBERS[self._h2 - 1]}）{text}", 2)

    def fig(self, label, value, unit, filter_words, last=None):
        return self.book.add(self.section, label, value, unit, filter_words, last)

    def say(self, sentence: str, *figures, lead: str = "") -> None:
        self.book.said(sentence, *figures)
        self.doc.paragraph(sentence, lead=lead)

    @property
    def none(self) -> str:
        return f"{self.period.this}无相关记录"

    # --- sections -----------------------------------------------------------------------

    def write(self) -> tuple[bytes, bytes]:
        node, period = self.node, self.period
        self.doc.title(f"{node.name}{period.words}工作汇报")
        self.doc.paragraph(
            f"{period.words}，{node.name}在上级党委、政府的正确领导下，深化党建引领网格化治理，"
            "坚持“小事一格解决，大事全网联动”，扎实推进各项工作。现将有关情况汇报如下："
        )
        self.organisation()
        self.main_work()
        self.grid_management()
        self.livelihood()
        self.safety()
        self.h1("下步打算")
        self.doc.placeholder(PLACEHOLDER)
        self.doc.paragraph(
            f"以上是{node.name}{period.words}的工作汇报，不当之处，敬请各位领导批评指正。"
        )
        self.doc.blank()
        self.doc.right(node.name)
        from django.utils import timezone

        today = timezone.localdate()
        self.doc.right(f"{today.year}年{today.month}月{today.day}日")
        return self.doc.bytes(), self.workbook()

    def organisation(self) -> None:
        self.h1("强化组织建设，健全网格工作体系")
        data = self.data
        villages = [c for c in data["children"] if c.level == "village"]
        micro = data["micro_grids"]
        if villages:
            f1 = self.fig("村（社区）网格数", len(villages), "个", "网格：下级村（社区）网格")
            f2 = self.fig("微网格数", micro, "个", "网格：层级为微网格")
            self.say(f"{node_phrase(self.node)}共设村（社区）网格{len(villages)}个、微网格{micro}个，"
                     "每个微网格配备微网格长及管理、工作、志愿三支团队，做到“排查全覆盖、管理无缝隙、服务全方位”。",
                     f1, f2, lead="1.")  # fmt: skip
        else:
            f2 = self.fig("微网格数", micro, "个", "网格：层级为微网格")
            self.say(
                f"{node_phrase(self.node)}共设微网格{micro}个，每个微网格配备微网格长及三支团队。",
                f2,
                lead="1.",
            )
        v = data["volunteers"]
        if v["teams"]:
            f1 = self.fig("志愿服务队数", v["teams"], "支", "志愿服务队台账：全部队伍")
            f2 = self.fig("志愿者人数", v["members"], "人", "志愿者台账：全部队员")
            f3 = self.fig("其中五老人数", v["five_elders"], "人", "志愿者台账：是否五老=是")
            names = "、".join(v["names"][:8]) + ("等" if len(v["names"]) > 8 else "")
            self.say(f"积极发挥志愿服务队伍作用，现有志愿服务队{v['teams']}支，分别为{names}，"
                     f"共有志愿者{v['members']}人，其中五老人员{v['five_elders']}人。", f1, f2, f3, lead="2.")  # fmt: skip
        else:
            f1 = self.fig("志愿服务队数", 0, "支", "志愿服务队台账：全部队伍")
            self.say(f"志愿服务队伍：{self.none}。", f1, lead="2.")

    def main_work(self) -> None:
        self.h1("围绕中心工作，扎实开展各项活动")
        now, last = self.now["activities"], self.last["activities"]
        self.h2("开展宣传教育和关爱活动")
        total = sum(a["count"] for a in now.values())
        people = sum(a["participants"] for a in now.values())
        last_total = sum(a["count"] for a in last.values()) or None
        f1 = self.fig("活动总次数", total, "次", "活动台账：全部活动类型", last_total)
        f2 = self.fig("活动参加人次", people, "人次", "活动台账：参加人数之和",
                      sum(a["participants"] for a in last.values()) or None)  # fmt: skip
        if total:
            self.say(f"{self.period.this}共计开展各类活动{total}次{compare(total, last_total)}，"
                     f"参加人次{num(people)}人次{compare(people, f2.last)}。", f1, f2)  # fmt: skip
        else:
            self.say(f"各类活动：{self.none}。", f1, f2)
        types = list(now) + [t for t in ACTIVITY_WORDS if t not in now]
        n = 0
        for name in types:
            words, unit, who = ACTIVITY_WORDS.get(name, (f"{name}活动", "次", "参加人次"))
            a = now.get(name)
            b = last.get(name)
            flt = f"活动台账：活动类型={name}"
            n += 1
            if not a:
                f = self.fig(f"{name}次数", 0, unit, flt, b["count"] if b else None)
                self.say(f"{words}：{self.none}。", f, lead=f"{n}.")
                continue
            f1 = self.fig(f"{name}次数", a["count"], unit, flt, b["count"] if b else None)
            f2 = self.fig(f"{name}{who}", a["participants"], "人次", flt + "；参加人数之和",
                          b["participants"] if b else None)  # fmt: skip
            figs = [f1, f2]
            text = (f"{self.period.this}共开展{words}{a['count']}{unit}{compare(a['count'], f1.last)}，"
                    f"{who}{num(a['participants'])}人次{compare(a['participants'], f2.last)}")  # fmt: skip
            if a["five_elders"]:
                f3 = self.fig(
                    f"{name}五老参与人次", a["five_elders"], "人次", flt + "；其中五老人数之和"
                )
                figs.append(f3)
                text += f"，其中参与五老人员{a['five_elders']}人次"
            materials = []
            for key, label, u in (("brochures", "发放宣传资料", "册"), ("banners", "制作宣传横幅", "条"),
                                  ("boards", "展板宣传画", "幅")):  # fmt: skip
                if a[key]:
                    f = self.fig(f"{name}{label}", a[key], u, flt + f"；{label}数之和")
                    figs.append(f)
                    materials.append(f"{label}{num(a[key])}{u}")
            if materials:
                text += "，" + "，".join(materials)
            self.say(text + "。", *figs, lead=f"{n}.")
        if now:
            labels = list(now)
            png = charts.bar_chart(
                labels,
                {"本期": [now[t]["count"] for t in labels],
                 **({"去年同期": [last.get(t, {}).get("count", 0) for t in labels]} if last else {})},
                title="各类活动开展次数",
            )  # fmt: skip
            self.doc.picture(png, caption="图1  各类活动开展次数")
            self.charts.append(("各类活动开展次数", png))
        self.h2("办好暑期假日学校")
        s, sl = self.now["schools"], self.last["schools"]
        flt = f"假日学校台账：年度={self.period.start.year}"
        if s["schools"]:
            f1 = self.fig("举办假日学校的社区数", s["communities"], "个", flt)
            f2 = self.fig(
                "假日学校学员数", s["students"], "名", flt + "；学员数之和", sl["students"] or None
            )
            f3 = self.fig("在职教师", s["in_service"], "人", flt)
            f4 = self.fig("五老教师", s["five_elders"], "人", flt)
            f5 = self.fig("社会志愿者教师", s["volunteers"], "人", flt)
            f6 = self.fig("社区干部教师", s["cadres"], "人", flt)
            f7 = self.fig("申报三星级及以上假日学校", s["three_star"], "家", flt + "；申报星级≥3")
            f8 = self.fig("评选优秀志愿者", s["outstanding"], "人", flt + "；优秀志愿者数之和")
            self.say(
                f"{self.period.this}共有{s['communities']}个社区举办了暑期“假日”学校，共招收学员{num(s['students'])}名"
                f"{compare(s['students'], f2.last)}。教师队伍由在职教师{s['in_service']}人、五老人员{s['five_elders']}人、"
                f"社会志愿者{s['volunteers']}人和社区干部{s['cadres']}人组成。申报三星级假日学校{s['three_star']}家，"
                f"评选优秀志愿者{s['outstanding']}人。",
                f1, f2, f3, f4, f5, f6, f7, f8,
            )  # fmt: skip
        else:
            f = self.fig("举办假日学校的社区数", 0, "个", flt)
            self.say(f"暑期假日学校：{self.none}。", f)

    def grid_management(self) -> None:
        self.h1("深化网格化管理，推动问题闭环处置")
        c, cl = self.now["cases"], self.last["cases"]
        flt = "案件：上报时间在期间内"
        f1 = self.fig("上报案件数", c["reported"], "件", flt, cl["reported"] or None)
        if not c["reported"]:
            self.say(f"网格案件：{self.none}。", f1)
            return
        f2 = self.fig("立案数", c["registered"], "件", flt + "；已立案", cl["registered"] or None)
        f3 = self.fig("立案率", c["registration_rate"], "", "立案数 ÷ 上报数")
        f4 = self.fig("处置数", c["handled"], "件", flt + "；已处置", cl["handled"] or None)
        f5 = self.fig("按期处置率", c["on_time_handling_rate"], "", "按期处置数 ÷ 应处置数")
        f6 = self.fig("结案数", c["closed"], "件", flt + "；状态=已结案", cl["closed"] or None)
        f7 = self.fig("结案率", c["closing_rate"], "", "结案数 ÷ 应结案数")
        f8 = self.fig(
            "巡查发现",
            c["patrol_found"],
            "件",
            flt + "；来源=网格员巡查",
            cl["patrol_found"] or None,
        )
        self.say(
            f"依托“一网统管”智管平台，{self.period.this}各网格共发现上报问题{num(c['reported'])}件"
            f"{compare(c['reported'], f1.last)}，其中网格员巡查发现{num(c['patrol_found'])}件；"
            f"立案{num(c['registered'])}件，立案率{rate(c['registration_rate'])}；处置{num(c['handled'])}件，"
            f"按期处置率{rate(c['on_time_handling_rate'])}；结案{num(c['closed'])}件{compare(c['closed'], f6.last)}，"
            f"结案率{rate(c['closing_rate'])}。",
            f1, f2, f3, f4, f5, f6, f7, f8,
        )  # fmt: skip
        rated = c["ratings"]
        f10 = self.fig("评价次数", rated, "次", "案件评价：期间内上报案件的群众评价")
        if rated:
            f11 = self.fig("满意率", c["satisfaction_share"], "", "4–5 分评价 ÷ 全部评价")
            f12 = self.fig("返工率", c["rework_rate"], "", "返工案件 ÷ 已处置案件")
            self.say(
                f"群众对处置结果评价{num(rated)}次，满意率{rate(c['satisfaction_share'])}，"
                f"返工率{rate(c['rework_rate'])}，做到“问题在微网格发现、责任在微网格压实、成效在微网格显现”。",
                f10, f11, f12,
            )  # fmt: skip
        else:
            self.say(f"群众评价：{self.none}。", f10)
        rows = [r for r in self.data["cases_by_grid"] if r["key"] is not None]
        if rows:
            headers = ["网格", "上报", "立案", "处置", "结案", "按期处置率", "结案率"]
            table = [[r["label"], r["reported"], r["registered"], r["handled"], r["closed"],
                      pct(r["on_time_handling_rate"]), pct(r["closing_rate"])] for r in rows]  # fmt: skip
            self.doc.table(headers, table, caption="表1  各网格案件办理情况")
            self.tables = [("各网格案件办理情况", headers, table)]
            png = charts.bar_chart(
                [r["label"] for r in rows][:45],
                {
                    "上报": [r["reported"] for r in rows][:45],
                    "结案": [r["closed"] for r in rows][:45],
                },
                title="各网格案件上报与结案",
            )
            self.doc.picture(png, caption="图2  各网格案件上报与结案")
            self.charts.append(("各网格案件上报与结案", png))

    def livelihood(self) -> None:
        self.h1("保障和改善民生，兜牢民生底线")
        w, wl = self.now["welfare"], self.last["welfare"]
        flt = "低保特困对象台账"
        if w["dibao"] or w["tekun"] or w["entered"] or w["exited"]:
            f1 = self.fig(
                "低保户数", w["dibao"], "户", flt + "：类别=低保，期末在保", wl["dibao"] or None
            )
            f2 = self.fig(
                "低保人数", w["dibao_persons"], "人", flt + "：类别=低保，期末在保；保障人数之和"
            )
            f3 = self.fig(
                "特困户数", w["tekun"], "户", flt + "：类别=特困，期末在保", wl["tekun"] or None
            )
            f4 = self.fig("新纳入户数", w["entered"], "户", flt + "：纳入日期在期间内")
            f5 = self.fig("退出户数", w["exited"], "户", flt + "：退出日期在期间内")
            f6 = self.fig("复核次数", w["reviews"], "次", "低保特困复核台账：复核日期在期间内")
            self.say(
                f"严格落实社会救助政策，期末在保低保户{w['dibao']}户{w['dibao_persons']}人{compare(w['dibao'], f1.last)}，"
                f"特困供养{w['tekun']}户{compare(w['tekun'], f3.last)}；{self.period.this}新纳入{w['entered']}户，"
                f"经定期复核（{w['reviews']}次）退出{w['exited']}户，做到应保尽保、应退尽退。",
                f1, f2, f3, f4, f5, f6, lead="1.",
            )  # fmt: skip
        else:
            f = self.fig("低保户数", 0, "户", flt)
            self.say(f"低保、特困救助：{self.none}。", f, lead="1.")
        f1 = self.fig(
            "临时救助人次",
            w["relief"],
            "人次",
            "临时救助台账：救助日期在期间内",
            wl["relief"] or None,
        )
        if w["relief"]:
            f2 = self.fig(
                "临时救助金额",
                w["relief_amount"],
                "元",
                "临时救助台账：救助金额之和",
                wl["relief_amount"] or None,
            )
            self.say(f"开展临时救助{w['relief']}人次{compare(w['relief'], f1.last)}，"
                     f"发放救助金{money(w['relief_amount'])}元{compare(w['relief_amount'], f2.last)}。", f1, f2, lead="2.")  # fmt: skip
        else:
            self.say(f"临时救助：{self.none}。", f1, lead="2.")
        s = self.now["services"]
        f1 = self.fig(
            "群众服务需求",
            s["requests"],
            "件",
            "群众服务需求台账：需求日期在期间内",
            self.last["services"]["requests"] or None,
        )
        if s["requests"]:
            f2 = self.fig("办结服务需求", s["done"], "件", "群众服务需求台账：状态=已办结或已归还")
            f3 = self.fig("维权服务", s["rights"], "件", "服务类别=维权")
            f4 = self.fig("维修服务", s["repair"], "件", "服务类别=维修")
            f5 = self.fig("生活生产服务", s["living"], "件", "服务类别=生活生产服务")
            f6 = self.fig("共享工具借用", s["lent"], "次", "服务类别=共享工具")
            self.say(
                f"党群服务点列出配送清单{s['catalogue']}项，{self.period.this}受理群众服务需求{s['requests']}件"
                f"{compare(s['requests'], f1.last)}，其中维权{s['rights']}件、维修{s['repair']}件、生活生产服务{s['living']}件、"
                f"共享工具借用{s['lent']}次，办结{s['done']}件。",
                f1, f2, f3, f4, f5, f6, lead="3.",
            )  # fmt: skip
        else:
            self.say(f"便民服务需求：{self.none}。", f1, lead="3.")
        d = self.now["deeds"]
        f1 = self.fig(
            "见义勇为登记",
            d["registered"],
            "件",
            "见义勇为台账：事迹日期在期间内",
            self.last["deeds"]["registered"] or None,
        )
        if d["registered"] or d["confirmed"]:
            f2 = self.fig(
                "见义勇为确认",
                d["confirmed"],
                "件",
                "见义勇为台账：确认日期在期间内，状态=确认或表彰",
            )
            f3 = self.fig("见义勇为表彰", d["commended"], "件", "见义勇为台账：状态=表彰奖励")
            f4 = self.fig("见义勇为奖励金额", d["award"], "元", "见义勇为台账：奖励金额之和")
            self.say(
                f"弘扬见义勇为精神，{self.period.this}登记见义勇为事迹{d['registered']}件，经调查核实确认{d['confirmed']}件，"
                f"表彰奖励{d['commended']}件，发放奖励金{money(d['award'])}元。",
                f1, f2, f3, f4, lead="4.",
            )  # fmt: skip
        else:
            self.say(f"见义勇为：{self.none}。", f1, lead="4.")

    def safety(self) -> None:
        self.h1("推进平安建设，维护社会和谐稳定")
        p, pl = self.now["petitions"], self.last["petitions"]
        f1 = self.fig(
            "受理信访件", p["received"], "件", "信访台账：登记日期在期间内", pl["received"] or None
        )
        if p["received"] or p["closed"]:
            share = p["received_closed"] / p["received"] if p["received"] else None
            f2 = self.fig("信访销号", p["closed"], "件", "信访台账：销号日期在期间内")
            f3 = self.fig("信访办结率", share, "", "期间内登记且已销号 ÷ 期间内登记")
            self.say(f"{self.period.this}受理群众信访{p['received']}件{compare(p['received'], f1.last)}，"
                     f"办结销号{p['closed']}件，当期信访办结率{rate(share)}。", f1, f2, f3, lead="1.")  # fmt: skip
        else:
            self.say(f"信访工作：{self.none}。", f1, lead="1.")
        s, sl = self.now["safety"], self.last["safety"]
        f1 = self.fig(
            "安全检查次数",
            s["inspections"],
            "次",
            "安全检查台账：检查日期在期间内",
            sl["inspections"] or None,
        )
        if s["inspections"]:
            f2 = self.fig(
                "发现隐患",
                s["hazards"],
                "处",
                "安全隐患台账：所属检查在期间内",
                sl["hazards"] or None,
            )
            f3 = self.fig("隐患已整改", s["rectified"], "处", "安全隐患台账：已填整改完成日期")
            f4 = self.fig("隐患转案件", s["cases"], "件", "安全隐患台账：已生成案件编号")
            self.say(f"开展安全检查{s['inspections']}次{compare(s['inspections'], f1.last)}，发现安全隐患{s['hazards']}处，"
                     f"全部纳入网格案件闭环管理（转案件{s['cases']}件），已整改{s['rectified']}处。", f1, f2, f3, f4, lead="2.")  # fmt: skip
        else:
            self.say(f"安全检查：{self.none}。", f1, lead="2.")
        campaigns = self.data["campaigns"]
        if not campaigns:
            f = self.fig("专项会战", 0, "项", "会战台账：期间内开展")
            self.say(f"专项整治会战：{self.none}。", f, lead="3.")
            return
        n = 3
        for campaign, ranking in campaigns:
            flt = f"会战“{campaign.name}”"
            done = {}
            for row in ranking:
                for t in row["targets"]:
                    key = (t["item"], t["unit"])
                    got = done.setdefault(key, [0, 0])
                    got[0] += float(t["target"])
                    got[1] += float(t["done"])
            figs = []
            parts = []
            for (item, unit), (target, did) in done.items():
                figs.append(
                    self.fig(
                        f"{campaign.name}{item}完成",
                        did,
                        unit,
                        flt + f"；任务项目={item}；进度之和",
                    )
                )
                parts.append(f"{item}{num(did)}{unit}（目标{num(target)}{unit}）")
            text = f"开展“{campaign.name}”，"
            text += ("完成" + "、".join(parts) + "。") if parts else "各村任务：尚无进度记录。"
            scored = [r for r in ranking if r["score"] is not None]
            if scored:
                best, worst = scored[0], scored[-1]
                figs.append(
                    self.fig(
                        f"{campaign.name}督查第一名得分",
                        best["score"],
                        "分",
                        flt + "；督查得分平均",
                    )
                )
                text += f"经督查评比，{best['grid'].name}以平均{best['score']:.1f}分位列第一"
                if len(scored) > 1:
                    figs.append(
                        self.fig(
                            f"{campaign.name}督查末位得分",
                            worst["score"],
                            "分",
                            flt + "；督查得分平均",
                        )
                    )
                    text += (
                        f"，{worst['grid'].name}{worst['score']:.1f}分排名末位，已下发通报督促整改"
                    )
                text += "。"
            self.say(text, *figs, lead=f"{n}.")
            n += 1

    # --- the companion workbook ---------------------------------------------------------

    def workbook(self) -> bytes:
        rows = [
            [f.section, f.label, _cell(f.value), f.unit, _cell(f.last), f.sentence, f.filter]
            for f in self.book.figures
        ]
        sheets = [
            Sheet(
                name="数字来源",
                title=f"{self.period.words}工作汇报数字来源",
                headers=[
                    "章节",
                    "指标",
                    "数值",
                    "单位",
                    "去年同期",
                    "所在语句",
                    "统计口径（筛选条件）",
                ],
                rows=rows,
                widths=[26, 22, 12, 6, 12, 60, 60],
                totals=None,
            )
        ]
        for title, headers, table in getattr(self, "tables", []):
            sheets.append(Sheet(name=title, title=title, headers=headers, rows=table))
        return workbook_bytes(sheets, unit_name=self.node.name)


def _cell(value):
    if value is None:
        return "无数据"
    if isinstance(value, float):
        return round(value, 4)
    return value


def node_phrase(node) -> str:
    return f"{node.name}辖区内" if node.level == "town" else node.name


def work_report(data: dict) -> tuple[bytes, bytes, list[tuple[str, bytes]], FigureBook]:
    """(docx, companion xlsx, charts, figures) of the collected data."""
    report = WorkReport(data)
    docx, xlsx = report.write()
    return docx, xlsx, report.charts, report.book
