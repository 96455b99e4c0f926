"""The starter knowledge base: scripts (话术), articles, cases and micro-courses a B2B
software seller (CRM, ERP, data analytics, implementation services) uses with
manufacturing, retail, healthcare, logistics and public-sector customers.

Used by the demo organisation (salesops/demo/knowledge.py) and by the labelled matching
set (salesops/knowledge/tests/labelled.py), whose pain points name these items by key.
Each entry: key, kind, channel, customer types (industry codes; empty = all), tags,
title, summary, body.
"""

from __future__ import annotations

from .corpus_more import MORE_ITEMS

TAGS = {
    "price": ("价格异议", "Price objection"),
    "competitor": ("竞品应对", "Competitors"),
    "budget": ("预算", "Budget"),
    "cost": ("降本增效", "Cost reduction"),
    "equipment": ("设备管理", "Equipment"),
    "supply": ("供应链", "Supply chain"),
    "quality": ("质量管理", "Quality"),
    "data": ("数据与系统", "Data & systems"),
    "security": ("数据安全", "Data security"),
    "implementation": ("实施交付", "Implementation"),
    "adoption": ("推广使用", "Adoption"),
    "decision": ("决策链", "Decision chain"),
    "procurement": ("采购流程", "Procurement"),
    "payment": ("付款方式", "Payment terms"),
    "opening": ("开场破冰", "Opening"),
    "followup": ("跟进技巧", "Follow-up"),
    "sales_mgmt": ("销售管理", "Sales management"),
    "service": ("售后服务", "After-sales"),
    "retention": ("客户留存", "Retention"),
    "finance": ("财务业务", "Finance"),
    "industry": ("行业方案", "Industry solutions"),
    "roi": ("投资回报", "ROI"),
    "legal": ("合同法务", "Contracts"),
}

ITEMS: list[dict] = [
    {
        "key": "price_vs_competitor",
        "kind": "script",
        "channel": "phone",
        "customer_types": [],
        "tags": ["price", "competitor"],
        "title": "价格异议应对：客户说我们比竞品贵",
        "summary": "客户拿竞品报价压价、说我们价格高出一截时，先认同再拆解总拥有成本，不直接降价。",
        "body": "适用：客户说“你们比某某贵20%”“别家报价便宜很多”。\n"
        "{{联系人}}您好，我是{{销售姓名}}。您提到我们的报价比竞品高，这个顾虑很正常。"
        "我想请教一下，您对比的是同样的功能范围和服务吗？很多客户算过之后发现，"
        "便宜的方案在实施费、二次开发费、后续升级费上会追加，三年总拥有成本反而更高。"
        "我可以把{{客户名称}}三年的总成本和竞品并排列一张对比表，您看哪一项差价最大，我们逐项说明。"
        "要点：不急于打折；把价格差换算成每天每人的成本；强调质保、实施和售后团队。",
    },
    {
        "key": "budget_short",
        "kind": "script",
        "channel": "any",
        "customer_types": [],
        "tags": ["budget", "payment"],
        "title": "预算不够时的分阶段上线话术",
        "summary": "客户今年预算有限、钱不够时，建议先上核心模块、分期付款，把项目拆小。",
        "body": "适用：客户说“今年预算批不下来”“钱不够”“预算只有一半”。\n"
        "{{联系人}}，理解预算有限。很多客户的做法是分两期：第一期只上最痛的核心模块，"
        "三个月内见到效果，再用第一期节省下来的成本申请第二期预算。"
        "付款也可以按里程碑分期，不需要一次付清。您看{{客户名称}}最急需解决的是哪一块？我们先把那一块做扎实。",
    },
    {
        "key": "discount_request",
        "kind": "script",
        "channel": "wechat",
        "customer_types": [],
        "tags": ["price"],
        "title": "客户要求再打折、再便宜点怎么回",
        "summary": "面对“再便宜点就签”“给个最低价”，用交换条件代替让步：折扣换预付款、换签约时间、换案例授权。",
        "body": "适用：客户微信上说“再便宜点就签”“给个底价”“能不能打八折”。\n"
        "{{联系人}}您好，价格我这边已经申请到比较有诚意的了。如果{{客户名称}}能在本月底前签约并预付30%，"
        "我可以再向公司申请一个额外的折扣；或者同意我们把项目做成标杆案例，也可以换一些免费培训名额。"
        "原则：每一次让步都要换回对方的承诺，不能白给；折扣申请走审批，给客户“争取来的”感觉。",
    },
    {
        "key": "manufacturing_cost_down",
        "kind": "article",
        "channel": "any",
        "customer_types": ["manufacturing"],
        "tags": ["cost", "industry"],
        "title": "制造业客户常见降本诉求",
        "summary": "制造业老板最关心的降本方向：原材料、人工、能耗、库存、停机和质量损失，以及每一项我们能给出的数字。",
        "body": "制造企业的利润被原材料涨价和订单降价两头挤压，老板谈“降本增效”时通常指六件事："
        "一是原材料采购成本，二是人工成本和招工难，三是能耗电费，四是库存积压占用资金，"
        "五是设备停机造成的产能损失，六是质量问题导致的返工和废品。"
        "拜访时先问客户今年的降本目标是多少、压力最大的是哪一项，再对应介绍：ERP 的采购比价与库存周转、"
        "数据分析的能耗看板和设备效率（OEE）分析、实施服务的精益改善咨询。"
        "记得用客户自己的数字算账：每降低1%的成本对净利润的贡献往往相当于多卖10%的货。",
    },
    {
        "key": "downtime_case",
        "kind": "case",
        "channel": "any",
        "customer_types": ["manufacturing", "energy"],
        "tags": ["equipment", "cost"],
        "title": "案例：某汽车零部件厂设备停机时间减少40%",
        "summary": "设备突发故障停机、维修成本高、备件乱，通过设备联网和预测性维护，非计划停机减少40%。",
        "body": "客户背景：华东一家汽车零部件工厂，200台冲压和注塑设备，设备经常突发故障停机，"
        "一次停机平均损失4小时产能，维修靠老师傅经验，备件库存混乱，每年维修费用超过300万。"
        "方案：设备数据采集接入数据分析平台，振动、温度异常提前预警，做预测性维护；"
        "维修工单和备件领用进系统，维保计划自动生成。"
        "结果：非计划停机时间减少40%，维修成本下降25%，备件库存减少30%。"
        "可用话术：您这边设备一年大概停机多少小时？每小时停机损失多少？我们一起算一下。",
    },
    {
        "key": "inventory_turnover",
        "kind": "article",
        "channel": "any",
        "customer_types": ["manufacturing", "retail"],
        "tags": ["supply", "cost"],
        "title": "库存积压、周转慢：如何用数据说服客户",
        "summary": "库存多、资金被占用、呆滞料堆满仓库时，从库存周转天数和资金成本切入。",
        "body": "很多客户仓库里堆满呆滞料和成品，账上库存金额居高不下，资金被占用，却又经常缺料停线。"
        "根因通常是计划和采购凭经验下单、销售预测不准、物料数据不准确。"
        "切入方法：请客户拿出库存周转天数，按年化8%的资金成本算出每年积压损失；"
        "再介绍 ERP 的物料需求计划（MRP）、安全库存和呆滞预警。标杆客户上线后库存周转提升35%，"
        "释放流动资金上千万。",
    },
    {
        "key": "scheduling_delivery",
        "kind": "case",
        "channel": "any",
        "customer_types": ["manufacturing"],
        "tags": ["supply", "industry"],
        "title": "案例：排产混乱导致交期延误的电子厂",
        "summary": "插单多、排产靠Excel、订单交期经常延误被客户投诉，上线计划排程后准交率从70%提到95%。",
        "body": "客户是一家电子代工厂，订单多品种小批量，插单频繁，计划员用Excel排产，"
        "生产进度靠打电话问车间，经常交货延期被下游客户罚款。"
        "方案：ERP 与 MES 打通，订单自动生成生产计划，按产能和物料齐套情况排程，车间扫码报工实时看进度。"
        "结果：订单准时交付率从70%提升到95%，计划员从5人减到2人。",
    },
    {
        "key": "quality_yield",
        "kind": "case",
        "channel": "any",
        "customer_types": ["manufacturing"],
        "tags": ["quality"],
        "title": "案例：良品率从92%提升到98%的质量追溯项目",
        "summary": "产品不良率高、返工多、客户退货时查不到原因，通过全流程质量追溯和SPC分析提升良品率。",
        "body": "客户痛点：不良品多、返工和报废损失大，客户投诉退货后无法追溯是哪一批原料、哪台设备、哪个班组的问题。"
        "方案：批次追溯加质检数据采集，用 SPC 统计过程控制发现工艺参数漂移，异常自动通知质量工程师。"
        "结果：良品率从92%提升到98%，每年减少报废损失约180万，客户退货率下降一半。",
    },
    {
        "key": "energy_cost",
        "kind": "article",
        "channel": "any",
        "customer_types": ["manufacturing", "energy"],
        "tags": ["cost", "equipment"],
        "title": "能耗和电费太高：能源管理的切入点",
        "summary": "电费、用气、用水成本高又不知道耗在哪里时，用分项计量和能耗看板找浪费。",
        "body": "随着峰谷电价拉大，工厂电费成为第二大成本。多数客户只知道每月总电费，不知道哪条产线、哪台空压机最耗能。"
        "切入：建议分项计量，把能耗数据接入数据分析平台，按产线、班次、单件产品算能耗，发现空转和峰时用电浪费。"
        "同类客户通过错峰生产和设备空载管理，电费降低12%–18%。",
    },
    {
        "key": "labor_shortage",
        "kind": "article",
        "channel": "any",
        "customer_types": ["manufacturing", "logistics", "retail"],
        "tags": ["cost"],
        "title": "招工难、人工成本上涨：用数字化减少对人的依赖",
        "summary": "工人难招、流动大、工资年年涨，靠系统固化流程、减少手工录入和重复劳动。",
        "body": "客户常抱怨：年轻人不愿进厂，熟练工流失快，工资和社保每年上涨10%，新人培训周期长。"
        "我们的思路：把老师傅的经验沉淀进系统（标准作业、电子作业指导书），减少手工录单、对账、报表这些重复劳动，"
        "让一个人能管更多工位。算账时用“少招几个人 × 年人工成本”说明投资回报。",
    },
    {
        "key": "data_silos",
        "kind": "article",
        "channel": "any",
        "customer_types": [],
        "tags": ["data"],
        "title": "数据孤岛：各系统不互通怎么破",
        "summary": "客户已有财务、OA、ERP等多套系统但数据不通、要手工导表时，介绍集成方案和统一数据平台。",
        "body": "典型说法：“我们系统不少，但是互相不通”“每个月要人工导出Excel汇总报表”“同一个客户在三个系统里名字不一样”。"
        "应对：先画出客户现有系统清单和数据流向，指出重复录入和口径不一致的代价；"
        "介绍我们的系统集成服务和标准接口（API），以及数据分析平台统一口径的管理驾驶舱。"
        "强调不推翻现有系统，而是打通。",
    },
    {
        "key": "data_security",
        "kind": "article",
        "channel": "any",
        "customer_types": [],
        "tags": ["security", "data"],
        "title": "客户担心数据安全和上云泄密怎么答",
        "summary": "客户怕数据放在云上被泄露、被竞争对手看到时，说明加密、权限、等保认证和私有化部署选项。",
        "body": "常见顾虑：“数据放你们云上安全吗”“会不会泄露给同行”“老板不同意上云”。"
        "回答要点：一，数据传输和存储全程加密，通过等保三级和ISO 27001认证；二，权限控制到字段，操作全部留痕审计；"
        "三，可以私有化部署在客户自己的机房，数据不出厂；四，合同中写明数据归属和保密条款。"
        "可邀请客户IT负责人参加安全专场交流。",
    },
    {
        "key": "implementation_risk",
        "kind": "case",
        "channel": "any",
        "customer_types": [],
        "tags": ["implementation"],
        "title": "案例：八周上线——降低实施风险的方法",
        "summary": "客户担心实施周期长、项目失败、上线后没人用，用分阶段实施和固定周期交付打消顾虑。",
        "body": "客户往往被以前失败的信息化项目伤过：实施拖了一年、顾问换了三拨、最后系统没人用。"
        "我们的做法：标准化实施方法论，八周上线第一阶段；双方项目经理周会，里程碑验收后才付款；"
        "关键用户提前参与配置。某机械厂项目按期八周上线，三个月后系统使用率超过90%。",
    },
    {
        "key": "user_adoption",
        "kind": "course",
        "channel": "any",
        "customer_types": [],
        "tags": ["adoption", "implementation"],
        "title": "微课：客户员工抵触新系统、不会用怎么办",
        "summary": "8分钟微课：员工年纪大、习惯纸质和Excel、不愿意用新系统时，如何设计培训和激励推动使用。",
        "body": "本课要点：一，找到一线的意见领袖，先让他们用起来；二，培训分角色、分场景，手机端先行，每次不超过30分钟；"
        "三，把系统使用和考核挂钩，管理层带头看系统报表；四，前两个月安排驻场辅导。"
        "给客户的话术：我们不只卖软件，负责到员工真正用起来，上线后有免费的培训和使用率报告。",
    },
    {
        "key": "reach_decision_maker",
        "kind": "course",
        "channel": "any",
        "customer_types": [],
        "tags": ["decision"],
        "title": "微课：见不到老板和决策人怎么办",
        "summary": "只能对接到采购或IT、见不到拍板的人时，如何借力内部支持者约到高层。",
        "body": "症状：对接人一直说“我再汇报一下”“领导很忙”，项目推不动。"
        "方法：一，帮对接人准备一页纸的汇报材料，让他在领导面前有面子；二，邀请老板参加同行标杆客户参观或行业沙龙；"
        "三，以我方高层拜访的名义对等约见；四，问清楚决策流程：谁提需求、谁评估、谁拍板、谁付款。",
    },
    {
        "key": "tender_process",
        "kind": "article",
        "channel": "any",
        "customer_types": ["public", "healthcare", "education", "energy"],
        "tags": ["procurement"],
        "title": "客户要走招标采购流程时怎么跟",
        "summary": "客户说必须公开招标、要三家比价、走政府采购时，提前参与需求编写和评分标准。",
        "body": "国企、医院、学校和政府单位超过一定金额必须招标或三家比价。"
        "要点：一，在招标文件发布前参与需求调研，把我们的优势写进技术参数；二，了解评分办法（价格分占比）；"
        "三，准备资质、案例、社保证明等投标材料；四，关注公示期和质疑期。不要等到挂网才知道。",
    },
    {
        "key": "payment_terms",
        "kind": "script",
        "channel": "any",
        "customer_types": [],
        "tags": ["payment", "finance"],
        "title": "客户要求更长账期、先用后付的谈判话术",
        "summary": "客户要求账期拉长到半年、验收后再付款时，用分期付款和里程碑付款平衡双方风险。",
        "body": "适用：客户说“我们都是三个月账期”“先用起来再付钱”“验收后一次付清”。\n"
        "{{联系人}}，理解公司的付款制度。我们可以按里程碑分三笔：签约付30%，上线付40%，验收付30%，"
        "这样{{客户名称}}的风险可控，我们的实施团队也能按计划投入。如果确实需要更长账期，"
        "我可以申请通过合作的融资租赁方式，分12个月支付。",
    },
    {
        "key": "free_trial",
        "kind": "script",
        "channel": "phone",
        "customer_types": [],
        "tags": ["followup"],
        "title": "客户想先免费试用的应对话术",
        "summary": "客户提出先试用一段时间再决定时，用有目标、有期限的试点代替无限期免费试用。",
        "body": "适用：客户说“先给我们免费试用几个月”“试试看好不好用”。\n"
        "{{联系人}}，可以安排试用。为了让试用真正帮您做决定，我建议我们一起定三个成功标准，比如录单时间缩短一半，"
        "试用期两周，由我们顾问陪同配置。两周后对照标准复盘，达标的话就进入正式采购流程，您看可以吗？",
    },
    {
        "key": "already_have_system",
        "kind": "script",
        "channel": "phone",
        "customer_types": [],
        "tags": ["competitor"],
        "title": "客户说已经有系统了、已经在用别家的",
        "summary": "客户说已经用着别的软件、不需要时，不攻击竞品，问使用满意度找缺口。",
        "body": "适用：客户说“我们已经有ERP了”“在用某某的系统，挺好的”。\n"
        "{{联系人}}，有系统说明{{客户名称}}很重视信息化。想请教一下，现在的系统用下来，"
        "有没有哪些地方大家还在用Excel补充？比如报表、移动端、和其他系统的对接？"
        "很多客户不是换掉原系统，而是用我们补上缺的那一块。",
    },
    {
        "key": "not_now",
        "kind": "script",
        "channel": "phone",
        "customer_types": [],
        "tags": ["followup"],
        "title": "客户说现在不急、明年再说的跟进话术",
        "summary": "客户推说暂时不考虑、等明年、等领导换届时，找出推迟的代价，约定下一次具体时间。",
        "body": "适用：客户说“现在不急”“明年再说吧”“等忙完这阵子”。\n"
        "{{联系人}}，理解现在事情多。我想确认一下，推迟到明年，这半年里库存、人工这些问题会不会继续产生损失？"
        "如果明年上线，今年四季度就要开始选型和做预算。我下个月初把同行的方案发您参考，到时候约十五分钟电话，可以吗？",
    },
    {
        "key": "send_materials",
        "kind": "script",
        "channel": "phone",
        "customer_types": [],
        "tags": ["opening", "followup"],
        "title": "客户说“发个资料看看”时如何不被挂电话",
        "summary": "电话里客户敷衍说先发资料、有需要再联系时，用一个问题把对话拉回需求。",
        "body": "适用：陌生电话中客户说“你先发个资料吧”“有需要我联系你”。\n"
        "好的{{联系人}}，我马上发。为了发给您最有用的那份，想问一句：{{客户名称}}现在在订单、库存和报表这三块里，"
        "哪一块最让人头疼？……明白了，我把同行业解决这个问题的案例一起发您，明天下午我打电话跟您确认收到。",
    },
    {
        "key": "wechat_opening",
        "kind": "script",
        "channel": "wechat",
        "customer_types": [],
        "tags": ["opening"],
        "title": "加微信后的第一条开场消息",
        "summary": "刚加上客户微信、对方没回复时的开场白模板：自我介绍、一个价值点、一个低门槛问题。",
        "body": "适用：展会或电话后加了客户微信，第一次发消息。\n"
        "{{联系人}}您好，我是{{销售姓名}}，负责{{城市}}地区{{产品}}的客户服务。"
        "我们刚帮一家同行把月底对账时间从三天缩短到半天。想简单问一下，{{客户名称}}现在月底对账大概要几天？"
        "不打扰您工作，有空回复就好。",
    },
    {
        "key": "email_after_demo",
        "kind": "script",
        "channel": "email",
        "customer_types": [],
        "tags": ["followup"],
        "title": "产品演示后的跟进邮件模板",
        "summary": "演示结束后24小时内发出的邮件：回顾需求、对应功能、下一步和时间点。",
        "body": "主题：{{客户名称}}×{{产品}}演示回顾与下一步\n"
        "{{联系人}}您好：感谢今天抽时间参加演示。回顾一下您提到的三个需求：一……二……三……，"
        "对应的功能和演示截图见附件。下一步建议：本周五前由我们顾问出一版实施计划，下周安排与贵司IT负责人沟通对接方案。"
        "如有任何问题请随时联系我。\n{{销售姓名}} {{销售电话}}",
    },
]

ITEMS += MORE_ITEMS

ITEMS_BY_KEY = {item["key"]: item for item in ITEMS}
