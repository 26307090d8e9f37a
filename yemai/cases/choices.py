"""States, actions and the other enums of the closed loop (发现—会商—处置—反馈—评价)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    PATROL = "patrol", _("Grid member on patrol")  # 网格员巡查
    RESIDENT = "resident", _("Resident")  # 居民上报
    CAMERA = "camera", _("Camera AI")  # 视频智能发现
    HOTLINE = "hotline", _("Hotline / 12345")  # 12345 热线
    DEPARTMENT = "department", _("Department referral")  # 部门转办
    STAFF = "staff", _("Grid centre")  # 中心录入


class State(models.TextChoices):
    REPORTED = "reported", _("Reported")  # 上报
    REGISTERED = "registered", _("Registered")  # 立案
    REJECTED = "rejected", _("Rejected")  # 不予立案
    DISPATCHED = "dispatched", _("Dispatched")  # 派遣
    ACCEPTED = "accepted", _("Accepted")  # 接单
    HANDLING = "handling", _("Being handled")  # 处置
    ESCALATED = "escalated", _("Escalated to the micro-grid leader")  # 上报微网格长
    CONSULTING = "consulting", _("In consultation")  # 会商
    REFERRED = "referred", _("Referred to a department")  # 联动
    HANDLED = "handled", _("Handled")  # 反馈
    VERIFIED = "verified", _("Verified")  # 核查
    CLOSED = "closed", _("Closed")  # 结案
    PARKED = "parked", _("Parked")  # 挂账
    WITHDRAWN = "withdrawn", _("Withdrawn")  # 撤销


# States in which a case is still someone's work.
OPEN_STATES = frozenset(
    {
        State.REPORTED,
        State.REGISTERED,
        State.DISPATCHED,
        State.ACCEPTED,
        State.HANDLING,
        State.ESCALATED,
        State.CONSULTING,
        State.REFERRED,
        State.HANDLED,
        State.VERIFIED,
    }
)
FINAL_STATES = frozenset({State.REJECTED, State.CLOSED, State.WITHDRAWN})


class Action(models.TextChoices):
    REPORT = "report", _("Report")  # 上报
    REGISTER = "register", _("Register")  # 立案
    REJECT = "reject", _("Reject")  # 不予立案
    DISPATCH = "dispatch", _("Dispatch")  # 派遣
    ACCEPT = "accept", _("Accept")  # 接单
    START = "start", _("Start handling")  # 开始处置
    ESCALATE = "escalate", _("Escalate to the micro-grid leader")  # 上报微网格长
    CONSULT = "consult", _("Hold a consultation")  # 会商
    REFER = "refer", _("Refer to a department")  # 联动
    RECEIVE = "receive", _("Acknowledge receipt")  # 部门签收
    SEND_BACK = "send_back", _("Send back")  # 回退
    HANDLE = "handle", _("Report as handled")  # 反馈
    VERIFY = "verify", _("Verify")  # 核查通过
    REWORK = "rework", _("Send for rework")  # 返工
    CLOSE = "close", _("Close")  # 结案
    PARK = "park", _("Park")  # 挂账
    UNPARK = "unpark", _("Resume")  # 恢复
    WITHDRAW = "withdraw", _("Withdraw")  # 撤销
    REQUEST_EXTENSION = "request_extension", _("Ask for more time")  # 申请延期
    APPROVE_EXTENSION = "approve_extension", _("Approve more time")  # 批准延期
    SUPERVISE = "supervise", _("Escalate overdue work")  # 超时升级 / 督办
    MERGE = "merge", _("Merge into another case")  # 合并
    RATE = "rate", _("Rating")  # 评价
    FOLLOW_UP = "follow_up", _("Phone follow-up")  # 回访
    COMMENT = "comment", _("Note")  # 备注


class RejectReason(models.TextChoices):
    INVALID = "invalid", _("Not a valid report")  # 无效
    OUT_OF_SCOPE = "out_of_scope", _("Not ours to handle")  # 不属于受理范围
    DUPLICATE = "duplicate", _("Duplicate")  # 重复


class Priority(models.IntegerChoices):
    URGENT = 1, _("Urgent")  # 紧急
    HIGH = 2, _("High")  # 重要
    NORMAL = 3, _("Normal")  # 一般


class CategoryKind(models.TextChoices):
    EVENT = "event", _("Event")  # 事件
    COMPONENT = "component", _("Component")  # 部件


class Clock(models.TextChoices):
    """The step a deadline belongs to."""

    ACCEPT = "accept", _("Accept")
    HANDLE = "handle", _("Handle")
    VERIFY = "verify", _("Verify")


class Fixed(models.TextChoices):
    YES = "yes", _("Fixed")
    NO = "no", _("Not fixed")
    UNKNOWN = "unknown", _("Don't know")


class PhotoKind(models.TextChoices):
    REPORT = "report", _("When reported")  # 上报照片
    BEFORE = "before", _("Before handling")  # 处置前
    AFTER = "after", _("After handling")  # 处置后
    EVIDENCE = "evidence", _("Evidence")  # 证据 (camera snapshot …)
