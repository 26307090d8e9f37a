"""Word lists of the demo town: places, roads, people, shops. Plain data, no logic.

Every list is ordered and used through a seeded ``random.Random``, so the same seed gives the same
names. The place names sound like villages and communities around 慈溪 but the town is invented.
"""

TOWN_NAME = "叶脉街道"
TOWN_STREET_CODE = "001"  # the 3 digits after the county code (乡镇街道)
AREA_PHONE_PREFIX = "0574-6"  # 宁波 area code, 慈溪 numbers start with 6

# Urban communities (社区), nearest the centre first.
COMMUNITY_STEMS = [
    "东门", "西门", "南门", "北门", "东海", "天鹅", "新城", "华严", "三北", "孙塘",
    "解放", "明州", "金山", "峙山", "虞波", "青云", "文昌", "府前", "清河", "桂花",
    "紫薇", "梅园", "兰苑", "海港",
]  # fmt: skip

# Rural villages (村).
VILLAGE_STEMS = [
    "五星", "宗兴", "建塘", "海星", "三塘", "潮塘", "新江", "马家", "西三", "百两",
    "二塘", "四灶", "周塘", "长河", "大塘", "兴陆", "界牌", "新舍", "蒋家", "桥头",
    "双湖", "高王", "胜北", "胜山", "五塘", "东胜", "海晏", "新华", "北海", "复兴",
    "八塘", "九塘", "六塘", "七塘", "陆中", "上林", "下沙", "晓光", "团结", "红旗",
]  # fmt: skip

# Main roads crossing the town (used for camera sites at junctions).
TOWN_ROADS = [
    "三北大街", "新城大道", "北二环路", "南二环路", "孙塘路", "青少年宫路", "慈甬路", "浒崇公路",
    "明州路", "金山大道", "开发大道", "潮塘路",
]  # fmt: skip

# Extra urban street names; each community also has a road named after itself (东门 → 东门路).
URBAN_STREETS = [
    "解放街", "教育路", "文化路", "人民路", "中山路", "建设路", "乌山路", "华严街", "白沙路",
    "峙山路", "育才路", "环城北路", "环城南路", "新华路", "青年路", "公园路", "体育场路",
    "步行街", "菜场路", "民主路",
]  # fmt: skip

# Village lanes; a village road is often "<stem>路" or one of these.
VILLAGE_LANES = ["兴业路", "工业路", "沿河路", "塘下路", "村前路", "北横路", "南横路", "中心路"]

# Natural villages inside an administrative village (自然村): "<surname>家".
HAMLET_SURNAMES = ["陈", "徐", "胡", "沈", "孙", "岑", "叶", "周", "施", "俞", "马", "潘"]

# Surnames with rough weights: national frequency, with 慈溪's 陈 胡 徐 沈 岑 叶 raised.
SURNAMES = [
    ("陈", 90), ("王", 70), ("张", 55), ("李", 50), ("徐", 45), ("胡", 42), ("沈", 38),
    ("吴", 36), ("周", 34), ("孙", 30), ("叶", 28), ("岑", 20), ("杨", 20), ("黄", 20),
    ("刘", 20), ("赵", 14), ("朱", 14), ("郑", 14), ("马", 12), ("潘", 12), ("俞", 12),
    ("施", 10), ("罗", 10), ("钱", 10), ("方", 9), ("邹", 8), ("戚", 8), ("华", 7),
    ("鲁", 6), ("韩", 6), ("高", 6), ("林", 6), ("何", 6), ("余", 5), ("褚", 5),
    ("谢", 5), ("许", 5), ("宋", 4), ("金", 4), ("蒋", 4), ("姚", 4), ("范", 4),
]  # fmt: skip

# Characters of given names by the era a person was born in and sex.
GIVEN_CHARS = {
    ("old", "M"): "国建明德福根荣志金忠海林华祥庆水土宝昌生发财正仁义",
    ("old", "F"): "秀英兰珍凤芳月娟美菊梅娣妹琴仙花彩云玉桂香",
    ("mid", "M"): "伟军勇杰斌峰强磊涛辉波超刚平东锋剑挺鹏飞亮华建立新",
    ("mid", "F"): "丽燕霞红萍艳玲敏静芬娟倩颖洁琳莉慧雪晶红蓉",
    ("young", "M"): "浩宇轩子涵睿泽博晨俊逸皓铭昊辰阳天一航宸翊嘉瑞",
    ("young", "F"): "欣怡萱雨梓涵诗琪婷悦可语佳思妍彤汐若琳一诺依",
}

# Home county codes of migrant workers (流动人口): 安徽, 四川, 贵州, 河南, 江西, 湖南, 云南.
MIGRANT_AREA_CODES = [
    "341221", "341623", "342425", "511321", "511623", "522121", "522427",
    "411522", "412725", "362321", "430524", "532128",
]  # fmt: skip

MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185",
    "186", "187", "188", "189", "191", "198", "199",
]  # fmt: skip

# Line departments of the town (条线部门): code, name.
DEPARTMENTS = [
    ("CG", "城管中队"),
    ("SJ", "市场监管所"),
    ("PCS", "派出所"),
    ("HW", "环卫所"),
    ("MZ", "民政办"),
    ("SF", "司法所"),
    ("ZZ", "综治办"),
    ("YJ", "应急管理站"),
]

# Shops: a prefix and a trade.
SHOP_PREFIXES = [
    "好又多", "惠民", "乐购", "家家乐", "鑫鑫", "百姓", "便民", "兴旺", "顺发", "金福", "聚鑫",
    "同心", "新概念", "一品", "阳光", "小城",
]  # fmt: skip
SHOP_TRADES = [
    "便利店", "超市", "面馆", "理发店", "五金店", "水果店", "药店", "饭店", "早餐店", "手机店",
    "服装店", "烟酒店", "快递驿站", "洗衣店", "电动车行", "水产店", "茶叶店", "文具店", "小吃店",
    "母婴店",
]  # fmt: skip

# Enterprises: "慈溪市<stem><industry><suffix>".
INDUSTRIES = [
    "电器", "小家电", "轴承", "塑料制品", "五金", "汽车配件", "纺织", "服饰", "模具", "机械",
    "电子", "日用品", "密封件", "照明", "化纤", "包装",
]  # fmt: skip
COMPANY_SUFFIXES = ["有限公司", "科技有限公司", "实业有限公司"]
CAFE_SUFFIXES = ["网吧", "网咖", "电竞馆"]

# Camera sites that are not junctions: "<place><spot>".
CAMERA_SPOTS = [
    "菜场门口", "文化礼堂", "村委会门口", "党群服务中心", "小学门口", "幼儿园门口", "公交站",
    "停车场", "公园入口", "桥头", "河道沿线", "农贸市场", "卫生服务站", "垃圾分类亭",
]  # fmt: skip
CORNERS = ["东北角", "东南角", "西北角", "西南角"]

# Team members: title, duty text (may contain {road}), duty tags.
MANAGEMENT_ROLES = [
    ("包联干部", "村（社区）联系干部，协调解决微网格重点难点问题", ["协调员"]),
    ("党员中心户", "收集社情民意，宣传政策，带头参与议事", ["信息员", "宣传员"]),
]
WORK_ROLES = [
    ("专职网格员", "日常巡查、信息采集、矛盾纠纷排查，负责{road}一带", ["信息员"]),
    ("生态维护员", "{road}沿线环境卫生与河道保洁巡查", ["监督员"]),
    ("社区民警", "治安巡防，出租房屋与流动人口核查", ["监督员", "协调员"]),
    ("物业管理员", "小区物业协调，楼道与停车秩序管理", ["协调员"]),
]
VOLUNTEER_ROLES = [
    ("志愿者", "爱心敲门，结对独居老人每日探访", ["信息员"]),
    ("志愿者", "垃圾分类宣传与指导", ["宣传员"]),
    ("志愿者", "文明劝导，非机动车规范停放", ["宣传员", "监督员"]),
    ("志愿者", "平安巡防，夜间巡逻", ["监督员"]),
    ("五老志愿者", "关心下一代，调解邻里纠纷", ["协调员"]),
]
LEADER_DUTY = "微网格长：统筹微网格工作，召集三支团队会商，核查处置结果"
LEADER_TAGS = ["信息员", "宣传员", "协调员", "监督员"]

OPENING_HOURS_COMMUNITY = "周一至周日 8:30-17:00（节假日轮值）"
OPENING_HOURS_VILLAGE = "周一至周五 8:30-11:30，13:30-17:00"
