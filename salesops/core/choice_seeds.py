"""The lists that were fixed in code until issue 13, as seeded: ``{key: (name in English,
name in Chinese, [(code, English label, Chinese label), …])}``. Plain data, read by
the data migration and by the post-migrate hook that refills a flushed test database."""

LISTS = {
    "industry": (
        "Industry",
        "行业",
        [
            ("manufacturing", "Manufacturing", "制造业"),
            ("software", "Software & internet", "软件与互联网"),
            ("finance", "Finance", "金融"),
            ("education", "Education", "教育"),
            ("healthcare", "Healthcare", "医疗健康"),
            ("retail", "Retail & consumer", "零售与消费"),
            ("energy", "Energy", "能源"),
            ("construction", "Construction & real estate", "建筑与房地产"),
            ("logistics", "Logistics", "物流"),
            ("public", "Government & public sector", "政府与公共事业"),
            ("other", "Other", "其他"),
        ],
    ),
    "company_size": (
        "Company size",
        "公司规模",
        [
            ("1-49", "1–49 employees", "1–49 人"),
            ("50-199", "50–199 employees", "50–199 人"),
            ("200-999", "200–999 employees", "200–999 人"),
            ("1000-4999", "1,000–4,999 employees", "1000–4999 人"),
            ("5000+", "5,000+ employees", "5000 人及以上"),
        ],
    ),
    "account_level": (
        "Account level",
        "客户等级",
        [
            ("A", "A – key account", "A – 重点客户"),
            ("B", "B – important", "B – 重要客户"),
            ("C", "C – normal", "C – 普通客户"),
            ("D", "D – low priority", "D – 低优先级"),
        ],
    ),
    "decision_role": (
        "Decision role",
        "决策角色",
        [
            ("signatory", "Signatory", "签约人"),
            ("it_lead", "IT lead", "IT负责人"),
            ("finance_approver", "Finance approver", "财务审批人"),
            ("purchaser", "Purchaser", "采购"),
            ("user", "User", "使用者"),
            ("other", "Other", "其他"),
        ],
    ),
    "lead_invalid_reason": (
        "Lead invalid reason",
        "线索无效原因",
        [
            ("no_need", "No real need", "无真实需求"),
            ("unreachable", "Cannot be reached", "无法联系"),
            ("spam", "Spam or test", "垃圾信息或测试"),
            ("competitor", "Competitor or job seeker", "同行或求职者"),
            ("duplicate", "Duplicate", "重复"),
            ("other", "Other", "其他"),
        ],
    ),
    "product_line": (
        "Product line",
        "产品线",
        [
            ("crm", "CRM suite", "CRM 套件"),
            ("erp", "ERP", "ERP"),
            ("analytics", "Data analytics", "数据分析"),
            ("services", "Implementation services", "实施服务"),
        ],
    ),
    "evidence_type": (
        "Evidence type",
        "证据类型",
        [
            ("proposal", "Proposal", "方案书"),
            ("minutes", "Meeting minutes", "会议纪要"),
            ("quote", "Quote", "报价单"),
            ("demo", "Demo record", "演示记录"),
            ("requirements", "Requirements confirmation", "需求确认书"),
            ("contract_draft", "Contract draft", "合同草案"),
            ("other", "Other", "其他"),
        ],
    ),
    "deal_lost_reason": (
        "Deal lost reason",
        "商机丢单原因",
        [
            ("price", "Price", "价格"),
            ("competitor", "Lost to a competitor", "输给竞争对手"),
            ("no_budget", "No budget", "没有预算"),
            ("no_decision", "No decision / postponed", "未决策或推迟"),
            ("product_fit", "Product does not fit", "产品不匹配"),
            ("other", "Other", "其他"),
        ],
    ),
}
