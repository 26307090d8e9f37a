"""The default two-level taxonomy (events and components), loaded by a data migration.

Codes: two digits for a main category, four for a subcategory; hours are working hours for
(accept, handle, verify). The centre edits all of this later in the admin.
"""

# (code, name, kind, priority, (accept, handle, verify) hours, department code, rating asked)
MAIN = [
    ("01", "市容环境", "event"),
    ("02", "街面秩序", "event"),
    ("03", "宣传广告", "event"),
    ("04", "施工管理", "event"),
    ("05", "突发事件", "event"),
    ("06", "矛盾纠纷", "event"),
    ("07", "安全隐患", "event"),
    ("08", "民生服务", "event"),
    ("51", "公用设施", "component"),
    ("52", "道路交通设施", "component"),
    ("53", "市容环卫设施", "component"),
    ("54", "园林绿化设施", "component"),
]

SUB = [
    ("0101", "暴露垃圾", 3, (1, 4, 4), "HW", True),
    ("0102", "乱堆物料", 3, (1, 8, 4), "CG", True),
    ("0103", "沿街晾晒", 3, (1, 4, 4), "CG", True),
    ("0104", "道路不洁", 3, (1, 4, 4), "HW", True),
    ("0105", "违章搭建", 2, (1, 40, 8), "CG", True),
    ("0201", "非机动车乱停放", 3, (0.5, 2, 4), "CG", False),
    ("0202", "出店经营/跨门经营", 3, (0.5, 4, 4), "CG", True),
    ("0203", "占道经营", 3, (0.5, 4, 4), "CG", True),
    ("0204", "机动车乱停放", 3, (0.5, 2, 4), "PCS", False),
    ("0301", "违规广告牌匾", 3, (1, 24, 8), "CG", True),
    ("0302", "乱张贴乱涂写", 3, (1, 8, 4), "CG", True),
    ("0401", "施工扰民", 2, (1, 8, 4), "CG", True),
    ("0402", "渣土撒漏", 2, (1, 4, 4), "CG", True),
    ("0501", "火情", 1, (0.25, 2, 2), "YJ", True),
    ("0502", "道路积水", 1, (0.5, 4, 2), "YJ", True),
    ("0601", "邻里纠纷", 3, (2, 40, 8), "SF", True),
    ("0602", "劳资纠纷", 2, (2, 40, 8), "SF", True),
    ("0701", "消防通道堵塞", 2, (0.5, 4, 4), "YJ", True),
    ("0702", "电动车违规充电", 2, (0.5, 4, 4), "YJ", True),
    ("0703", "食品安全隐患", 2, (1, 8, 4), "SJ", True),
    ("0801", "困难群众求助", 2, (1, 24, 8), "MZ", True),
    ("0802", "独居老人异常", 1, (0.5, 4, 4), "MZ", True),
    ("5101", "井盖破损缺失", 2, (0.5, 8, 4), "CG", True),
    ("5102", "路灯损坏", 3, (1, 24, 8), "CG", True),
    ("5201", "交通护栏损坏", 3, (1, 24, 8), "PCS", True),
    ("5301", "垃圾箱损坏", 3, (1, 24, 8), "HW", True),
    ("5302", "公厕设施损坏", 3, (1, 24, 8), "HW", True),
    ("5401", "绿地脏乱", 3, (1, 24, 8), "HW", True),
]
