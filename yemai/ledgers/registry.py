"""The ledgers as tables: each one's columns, as its xlsx file, its API and its pages name them.

One description per ledger drives the export, the import and the JSON API, so a column added
here appears in all three at once. Headers are the words the ledgers are kept under in Excel.
Kinds: ``text``, ``int``, ``decimal``, ``date``, ``bool``, ``grid`` (a grid code), ``choice``
(a TextChoices label or value), ``fk`` (another ledger's row: its id or its ``natural`` value),
``id_number`` and ``phone`` (personal data: encrypted, masked unless shown whole).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import choices, models


@dataclass(frozen=True)
class Col:
    name: str
    header: str
    kind: str = "text"
    required: bool = False
    width: float = 14
    choices: type | None = None
    fk: str = ""  # the ledger key of the row referred to


@dataclass(frozen=True)
class Ledger:
    key: str
    model: type
    title: str  # 台账 title
    word: str  # unit word of the totals row (次, 人, 户 …)
    cols: tuple[Col, ...]
    natural: str = ""  # the column another ledger names a row of this one by
    parent: str = ""  # the fk column whose row's grid a row inherits when none is given
    date_field: str = ""  # the column a period filter applies to

    def col(self, name: str) -> Col:
        return next(c for c in self.cols if c.name == name)

    @property
    def pii(self) -> list[Col]:
        return [c for c in self.cols if c.kind in {"id_number", "phone"}]


GRID = Col("grid", "所属网格编码", "grid", True, 18)

LEDGERS: dict[str, Ledger] = {}


def _add(ledger: Ledger) -> None:
    LEDGERS[ledger.key] = ledger


_add(
    Ledger(
        "volunteer-teams",
        models.VolunteerTeam,
        "志愿服务队台账",
        "支",
        (
            GRID,
            Col("name", "队伍名称", required=True, width=22),
            Col("focus", "服务内容", width=30),
            Col("founded", "成立日期", "date", width=12),
        ),
        natural="name",
    )
)
_add(
    Ledger(
        "volunteers",
        models.VolunteerMember,
        "志愿者台账",
        "人",
        (
            Col("team", "所属队伍", "fk", True, 22, fk="volunteer-teams"),
            Col("grid", "所属网格编码", "grid", False, 18),
            Col("name", "姓名", required=True, width=10),
            Col("phone", "联系电话", "phone", width=14),
            Col("five_elders", "是否五老", "bool", width=10),
            Col("joined", "加入日期", "date", width=12),
        ),
        parent="team",
    )
)
_add(
    Ledger(
        "activities",
        models.Activity,
        "活动台账",
        "次",
        (
            Col("type", "活动类型", "fk", True, 12, fk="activity-types"),
            Col("title", "活动名称", required=True, width=28),
            Col("date", "活动日期", "date", True, 12),
            Col("place", "活动地点", width=20),
            GRID,
            Col("volunteer_team", "志愿服务队", "fk", width=18, fk="volunteer-teams"),
            Col("participants", "参加人数", "int", width=10),
            Col("five_elders", "其中五老人数", "int", width=10),
            Col("named_participants", "参加人员", width=24),
            Col("brochures", "宣传资料（册）", "int", width=10),
            Col("banners", "横幅（条）", "int", width=10),
            Col("boards", "展板（幅）", "int", width=10),
            Col("note", "备注", width=20),
        ),
        date_field="date",
    )
)
_add(
    Ledger(
        "holiday-schools",
        models.HolidaySchool,
        "暑期假日学校台账",
        "所",
        (
            GRID,
            Col("year", "年度", "int", True, 8),
            Col("name", "学校名称", required=True, width=22),
            Col("students", "学员数", "int", width=8),
            Col("teachers_in_service", "在职教师", "int", width=8),
            Col("teachers_five_elders", "五老", "int", width=8),
            Col("teachers_volunteers", "社会志愿者", "int", width=10),
            Col("teachers_cadres", "社区干部", "int", width=8),
            Col("courses", "课程", width=28),
            Col("star_applied", "申报星级", "int", width=8),
            Col("outstanding_volunteers", "优秀志愿者数", "int", width=10),
            Col("outstanding_names", "优秀志愿者", width=20),
        ),
    )
)
_add(
    Ledger(
        "campaigns",
        models.Campaign,
        "会战台账",
        "项",
        (
            GRID,
            Col("name", "会战名称", required=True, width=26),
            Col("start", "开始日期", "date", True, 12),
            Col("end", "结束日期", "date", True, 12),
            Col("description", "说明", width=30),
        ),
        natural="name",
        date_field="start",
    )
)
_add(
    Ledger(
        "campaign-targets",
        models.CampaignTarget,
        "会战任务台账",
        "项",
        (
            Col("campaign", "会战名称", "fk", True, 26, fk="campaigns"),
            GRID,
            Col("item", "任务项目", required=True, width=14),
            Col("unit", "单位", required=True, width=6),
            Col("quantity", "目标数量", "decimal", True, 10),
        ),
    )
)
_add(
    Ledger(
        "campaign-progress",
        models.CampaignProgress,
        "会战进度台账",
        "条",
        (
            Col("target", "任务编号", "fk", True, 10, fk="campaign-targets"),
            Col("grid", "所属网格编码", "grid", False, 18),
            Col("date", "日期", "date", True, 12),
            Col("quantity", "完成数量", "decimal", True, 10),
            Col("note", "备注", width=24),
        ),
        parent="target",
        date_field="date",
    )
)
_add(
    Ledger(
        "campaign-inspections",
        models.CampaignInspection,
        "会战督查评分台账",
        "次",
        (
            Col("campaign", "会战名称", "fk", True, 26, fk="campaigns"),
            GRID,
            Col("date", "督查日期", "date", True, 12),
            Col("score", "得分", "decimal", True, 8),
            Col("findings", "存在问题", width=30),
            Col("rectification", "整改意见", width=30),
        ),
        date_field="date",
    )
)
_add(
    Ledger(
        "welfare-households",
        models.WelfareHousehold,
        "低保特困对象台账",
        "户",
        (
            GRID,
            Col("kind", "类别", "choice", True, 8, choices=choices.WelfareKind),
            Col("head_name", "户主姓名", required=True, width=10),
            Col("id_number", "公民身份号码", "id_number", True, 22),
            Col("phone", "联系电话", "phone", width=14),
            Col("members", "保障人数", "int", width=8),
            Col("monthly_amount", "月保障金额（元）", "decimal", True, 12),
            Col("entered_on", "纳入日期", "date", True, 12),
            Col("state", "状态", "choice", width=8, choices=choices.WelfareState),
            Col("exited_on", "退出日期", "date", width=12),
            Col("exit_reason", "退出原因", width=20),
        ),
        natural="id_number",
        date_field="entered_on",
    )
)
_add(
    Ledger(
        "welfare-reviews",
        models.WelfareReview,
        "低保特困复核台账",
        "次",
        (
            Col("household", "户主公民身份号码", "fk", True, 22, fk="welfare-households"),
            Col("grid", "所属网格编码", "grid", False, 18),
            Col("date", "复核日期", "date", True, 12),
            Col("outcome", "复核结果", "choice", True, 10, choices=choices.ReviewOutcome),
            Col("note", "备注", width=24),
        ),
        parent="household",
        date_field="date",
    )
)
_add(
    Ledger(
        "relief-payments",
        models.ReliefPayment,
        "临时救助台账",
        "人次",
        (
            GRID,
            Col("name", "姓名", required=True, width=10),
            Col("id_number", "公民身份号码", "id_number", True, 22),
            Col("date", "救助日期", "date", True, 12),
            Col("amount", "救助金额（元）", "decimal", True, 12),
            Col("reason", "救助事由", required=True, width=26),
        ),
        date_field="date",
    )
)
_add(
    Ledger(
        "petitions",
        models.Petition,
        "信访台账",
        "件",
        (
            GRID,
            Col("number", "信访编号", required=True, width=16),
            Col("petitioner", "信访人", required=True, width=10),
            Col("id_number", "公民身份号码", "id_number", width=22),
            Col("phone", "联系电话", "phone", width=14),
            Col("received_on", "登记日期", "date", True, 12),
            Col("subject", "信访事项", required=True, width=30),
            Col("key_person", "重点人员", "bool", width=8),
            Col("state", "办理状态", "choice", width=10, choices=choices.PetitionState),
            Col("handling", "办理情况", width=30),
            Col("closed_on", "销号日期", "date", width=12),
            Col("closure_number", "销号编号", width=16),
        ),
        natural="number",
        date_field="received_on",
    )
)
_add(
    Ledger(
        "safety-inspections",
        models.SafetyInspection,
        "安全检查台账",
        "次",
        (
            GRID,
            Col("place", "检查场所", required=True, width=24),
            Col("date", "检查日期", "date", True, 12),
            Col("inspectors", "检查人员", width=16),
            Col("note", "检查情况", width=30),
        ),
        date_field="date",
    )
)
_add(
    Ledger(
        "hazards",
        models.Hazard,
        "安全隐患台账",
        "处",
        (
            Col("inspection", "检查编号", "fk", True, 10, fk="safety-inspections"),
            Col("grid", "所属网格编码", "grid", False, 18),
            Col("description", "隐患描述", required=True, width=30),
            Col("deadline", "整改期限", "date", True, 12),
            Col("case_number", "案件编号", width=18),
            Col("rectified_on", "整改完成日期", "date", width=12),
        ),
        parent="inspection",
        date_field="deadline",
    )
)
_add(
    Ledger(
        "good-deeds",
        models.GoodDeed,
        "见义勇为台账",
        "件",
        (
            GRID,
            Col("person", "行为人", required=True, width=10),
            Col("id_number", "公民身份号码", "id_number", width=22),
            Col("phone", "联系电话", "phone", width=14),
            Col("deed_on", "事迹日期", "date", True, 12),
            Col("description", "事迹简况", required=True, width=30),
            Col("state", "状态", "choice", width=10, choices=choices.DeedState),
            Col("investigation", "调查核实情况", width=24),
            Col("decision_number", "确认决定文号", width=16),
            Col("decided_on", "确认日期", "date", width=12),
            Col("commendation", "表彰情况", width=16),
            Col("award", "奖励金额（元）", "decimal", width=12),
        ),
        date_field="deed_on",
    )
)
_add(
    Ledger(
        "service-items",
        models.ServiceItem,
        "配送清单",
        "项",
        (
            GRID,
            Col("kind", "服务类别", "choice", True, 14, choices=choices.ServiceKind),
            Col("name", "服务项目", required=True, width=20),
            Col("description", "说明", width=30),
            Col("stock", "可借数量", "int", width=8),
        ),
        natural="name",
    )
)
_add(
    Ledger(
        "service-requests",
        models.ServiceRequest,
        "群众服务需求台账",
        "件",
        (
            Col("item", "服务项目", "fk", True, 20, fk="service-items"),
            Col("grid", "所属网格编码", "grid", False, 18),
            Col("resident_name", "群众姓名", required=True, width=10),
            Col("phone", "联系电话", "phone", width=14),
            Col("requested_on", "需求日期", "date", True, 12),
            Col("state", "状态", "choice", width=10, choices=choices.RequestState),
            Col("done_on", "办结日期", "date", width=12),
            Col("return_due", "应还日期", "date", width=12),
            Col("returned_on", "归还日期", "date", width=12),
            Col("note", "备注", width=20),
        ),
        parent="item",
        date_field="requested_on",
    )
)


def ledger_get(key: str) -> Ledger:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    ledger = LEDGERS.get(key)
    if ledger is None:
        raise ValidationError({"kind": [_("Unknown ledger %(kind)s") % {"kind": key}]})
    return ledger
