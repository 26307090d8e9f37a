"""docs/cases.md shows the state machine as it is: its table is generated from TRANSITIONS.

After changing ``workflow.TRANSITIONS`` run
``YEMAI_UPDATE_DOCS=1 .venv/bin/pytest tests/cases/test_cases_doc.py`` to rewrite the table.
"""

import os
import re
from pathlib import Path

from yemai.accounts.roles import Role
from yemai.cases.choices import OPEN_STATES, Action, State
from yemai.cases.workflow import REPORTER, SYSTEM, TRANSITIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "cases.md"
START, END = "<!-- transitions:start -->", "<!-- transitions:end -->"

ZH = {
    # actions
    "register": "立案",
    "reject": "不予立案",
    "dispatch": "派遣",
    "accept": "接单",
    "start": "开始处置",
    "escalate": "上报微网格长",
    "consult": "会商",
    "refer": "联动",
    "receive": "部门签收",
    "send_back": "回退",
    "handle": "反馈",
    "verify": "核查",
    "rework": "返工",
    "close": "结案",
    "park": "挂账",
    "unpark": "恢复",
    "withdraw": "撤销",
    "merge": "合并",
    "request_extension": "申请延期",
    "approve_extension": "批准延期",
    "supervise": "超时升级/督办",
    "rate": "评价",
    "follow_up": "回访",
    "comment": "备注",
    # roles
    Role.MEMBER: "微网格员",
    Role.MICRO_LEADER: "微网格长",
    Role.VILLAGE_HEAD: "村居网格长",
    Role.CENTRE_OPERATOR: "中心操作员",
    Role.TOWN_HEAD: "总网格长",
    Role.DEPARTMENT: "部门联络员",
    SYSTEM: "系统",
    REPORTER: "上报居民",
}
ROLE_ORDER = [
    Role.MEMBER,
    Role.MICRO_LEADER,
    Role.VILLAGE_HEAD,
    Role.CENTRE_OPERATOR,
    Role.TOWN_HEAD,
    Role.DEPARTMENT,
    SYSTEM,
    REPORTER,
]


TARGETS = {"unpark": "the state it was parked in 挂账前状态"}


def _states(states) -> str:
    if set(states) == set(State.values):
        return "any 任意"
    if set(states) == set(OPEN_STATES):
        return "any open 任一办理中状态"
    return ", ".join(s for s in State.values if s in states)


def transitions_table() -> str:
    lines = [
        "| action 动作 | from 从 | to 到 | who 谁 | only if 条件 |",
        "|---|---|---|---|---|",
    ]
    for action, rule in TRANSITIONS.items():
        who = ", ".join(f"{r} {ZH[r]}" for r in ROLE_ORDER if r in rule.roles)
        only = []
        if rule.assignee_only:
            only.append("members: the assignee 本人")
        if rule.department_only:
            only.append("departments: referred to theirs 本部门")
        target = TARGETS.get(action) or rule.target or "(stays 不变)"
        label = f"`{Action(action).value}` {ZH[action]}"
        lines.append(
            f"| {label} | {_states(rule.sources)} | {target} | {who} | {'; '.join(only)} |"
        )
    return "\n".join(lines)


def test_the_docs_show_the_state_machine_as_it_is():
    text = DOC.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    current = f"{before}{START}\n{transitions_table()}\n{END}{after}"
    if os.environ.get("YEMAI_UPDATE_DOCS"):
        DOC.write_text(current, encoding="utf-8")
    assert text == current, "docs/cases.md is out of date: rerun with YEMAI_UPDATE_DOCS=1"


def test_the_docs_name_every_action_and_state():
    text = DOC.read_text(encoding="utf-8")
    for value in [*Action.values, *State.values]:
        assert f"`{value}`" in text or value in text, value


def test_the_chinese_docs_translate_the_same_state_machine():
    """docs/cases.zh.md translates the table by hand: it must name the same actions, in the same
    order, each with the same roles and the same target state, or it is out of date."""
    zh = DOC.with_name("cases.zh.md").read_text(encoding="utf-8")
    table = zh.split("| 动作 | 从 | 到 | 谁 | 条件 |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split(" | ") for line in table.strip().splitlines()[1:]]
    assert [re.search(r"`(\w+)`", row[0]).group(1) for row in rows] == list(TRANSITIONS)
    role_codes = "|".join(str(r) for r in ROLE_ORDER)
    for row, (action, rule) in zip(rows, TRANSITIONS.items(), strict=True):
        roles = set(re.findall(rf"\b({role_codes})\b", row[3]))
        assert roles == {str(r) for r in rule.roles}, action
        if rule.target and action not in TARGETS:
            assert row[2].strip() == rule.target, action
