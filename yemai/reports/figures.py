"""The figures of a report and where each came from.

``collect`` runs every aggregate query of a report (this period and the same period a year
before) and returns plain numbers; ``FigureBook`` turns numbers into the sentences of the
report, keeping for each figure its section, sentence, value and the filter that produced it
(the companion workbook lists them, so every number in the report can be traced).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from yemai.cases.metrics import case_metrics
from yemai.grids import selectors as grid_selectors
from yemai.ledgers import stats
from yemai.ledgers.access import reader


def shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class Period:
    start: dt.date
    end: dt.date  # exclusive

    @property
    def is_year(self) -> bool:
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (
            1,
            1,
            1,
            1,
        ) and (self.end.year == self.start.year + 1)

    @property
    def last_year(self) -> Period:
        return Period(shift_year(self.start, -1), shift_year(self.end, -1))

    @property
    def words(self) -> str:
        """How the report names the period: 2026年, or 2026年3月1日至6月30日."""
        if self.is_year:
            return f"{self.start.year}年"
        last = self.end - dt.timedelta(days=1)
        return f"{self.start.year}年{self.start.month}月{self.start.day}日至{last.year}年{last.month}月{last.day}日"

    @property
    def this(self) -> str:
        return "本年度" if self.is_year else "本期"

    @property
    def dates(self) -> str:
        last = self.end - dt.timedelta(days=1)
        return f"{self.start.isoformat()} 至 {last.isoformat()}"


def year_period(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))


# --- Collecting ---------------------------------------------------------------------------


def _period_stats(user, node, period: Period) -> dict:
    kw = {"user": user, "node": node, "start": period.start, "end": period.end}
    return {
        "activities": stats.activity_by_type(**kw),
        "welfare": stats.welfare_summary(**kw),
        "petitions": stats.petition_summary(**kw),
        "safety": stats.safety_summary(**kw),
        "deeds": stats.deed_summary(**kw),
        "services": stats.service_summary(**kw),
        "schools": stats.holiday_school_summary(user=user, node=node, year=period.start.year),
    }


SUMMED = ("reported", "registered", "handled", "due_to_handle", "handled_on_time", "due_to_close",
          "closed", "closed_on_time", "reworked", "ratings", "patrol_found", "missed")  # fmt: skip


def _ratio(a, b):
    return None if not b else a / b


def cases_total(rows: list[dict]) -> dict:
    """The whole node's case figures from its rows by grid (``case_metrics`` grouped by
    grid covers every case under the node, the node's own queue included): counts add up and
    the rates are recomputed with ``case_metrics``' formulas — one scan of the cases fewer.
    (The 90th percentile of handling time does not add up; the report does not use it.)"""
    total = {k: sum(r[k] for r in rows) for k in SUMMED}
    satisfied = sum(round((r["satisfaction_share"] or 0) * r["ratings"]) for r in rows)
    score = sum((r["satisfaction_mean"] or 0) * r["ratings"] for r in rows)
    total.update(
        registration_rate=_ratio(total["registered"], total["reported"]),
        on_time_handling_rate=_ratio(total["handled_on_time"], total["due_to_handle"]),
        closing_rate=_ratio(total["closed"], total["due_to_close"]),
        on_time_closing_rate=_ratio(total["closed_on_time"], total["due_to_close"]),
        rework_rate=_ratio(total["reworked"], total["handled"]),
        satisfaction_mean=_ratio(score, total["ratings"]),
        satisfaction_share=_ratio(satisfied, total["ratings"]),
    )
    return total


def collect(*, user, node, period: Period, progress=None) -> dict:
    """Every aggregate the report needs, this period and last year's; ``progress(step, pct)``."""
    tick = progress or (lambda step, pct: None)
    tick("本期台账", 10)
    data = {"node": node, "period": period, "now": _period_stats(user, node, period)}
    tick("去年同期", 35)
    data["last"] = _period_stats(user, node, period.last_year)
    last = period.last_year
    data["last"]["cases"] = case_metrics(
        user=reader(user), group_by="total", start=last.start, end=last.end, node=node
    )[0]
    tick("各村（社区）案件", 55)
    data["cases_by_grid"] = case_metrics(
        user=reader(user), group_by="grid", start=period.start, end=period.end, node=node
    )
    data["now"]["cases"] = cases_total(data["cases_by_grid"])
    kw = {"user": user, "node": node, "start": period.start, "end": period.end}
    data["activity_by_grid"] = stats.activity_by_grid(**kw)
    data["activity_by_month"] = stats.activity_by_month(**kw)
    data["volunteers"] = stats.volunteer_summary(user=user, node=node)
    viewer = reader(user)
    children = list(grid_selectors.grid_node_list(user=viewer, parent=node))
    data["children"] = children
    data["micro_grids"] = (
        grid_selectors.grid_node_list(user=viewer, level="micro")
        .filter(path__startswith=node.path)
        .count()
    )
    campaigns = stats.campaigns_in(**kw)
    from yemai.ledgers.selectors import campaign_ranking

    data["campaigns"] = [(c, campaign_ranking(user=user, campaign=c)) for c in campaigns]
    tick("统计完成", 70)
    return data


# --- Words --------------------------------------------------------------------------------


def num(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}"
    else:
        text = f"{int(value):,}" if abs(value) >= 10000 else f"{int(value)}"
    return f"{text}{unit}"


def money(value) -> str:
    return "—" if value is None else f"{float(value):,.2f}"


def pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def rate(value) -> str:
    """A rate in a sentence: a percentage, or words when nothing was due."""
    return "暂无可计算数据" if value is None else f"{value * 100:.1f}%"


def compare(value, last) -> str:
    """ "，比去年增加 N%" / "减少 N%" / "与去年持平"; nothing when last year had no data."""
    if last in (None, 0) or value is None:
        return ""
    change = (value - last) / last * 100
    if abs(change) < 0.05:
        return "，与去年同期持平"
    word = "增加" if change > 0 else "减少"
    return f"，比去年同期{word}{abs(change):.1f}%"


@dataclass
class Figure:
    section: str
    label: str
    value: object
    unit: str
    filter: str
    last: object = None
    sentence: str = ""


@dataclass
class FigureBook:
    """The figures of one report, in the order the report states them."""

    node: object
    period: Period
    figures: list[Figure] = field(default_factory=list)

    def scope_words(self) -> str:
        return f"{self.node.name}（{self.node.code}）及其下属网格"

    def add(
        self, section: str, label: str, value, unit: str, filter_words: str, last=None
    ) -> Figure:
        figure = Figure(
            section,
            label,
            value,
            unit,
            f"{filter_words}；范围：{self.scope_words()}；期间：{self.period.dates}",
            last,
        )
        self.figures.append(figure)
        return figure

    def said(self, sentence: str, *figures: Figure) -> str:
        for figure in figures:
            figure.sentence = sentence
        return sentence
