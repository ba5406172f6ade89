"""The words of the research pages (/research, /research/audit/{id}) in English and Chinese."""

from __future__ import annotations

TEXT = {
    "en": {
        "title": "Research",
        "intro": "The charts and the monthly report on this page are built from your own item "
                 "log (the items table: platform, provenance and author of every feed item "
                 "feedlens saw, kept {retention} days). They work whether research mode is on "
                 "or off, and nothing on this page leaves this computer.",
        "mode": "Research mode", "mode_off": "Off: nothing is recorded for a study.",
        "mode_on": "On", "mode_paused": "Paused: nothing is recorded until you resume.",
        "mode_missing": "Not available in this feedlens.",
        "study": "Study", "consent_version": "Consent version", "fields": "Raw fields consented",
        "no_fields": "none (provenance and pseudonymous ids only)", "retention": "Kept for",
        "days_unit": "days", "consented": "Consented on",
        "composition": "Feed composition by day", "composition_all": "All platforms",
        "composition_desc": "Stacked bars, one per day from {first} to {last}; each segment is "
                            "the number of items of one provenance that day.",
        "shares": "Share of each provenance", "shares_desc":
            "One bar per platform, split by the share of each provenance over the last {days} days.",
        "sources": "Top sources", "sources_desc": "Authors and channels with the most items over "
                                                  "the last {days} days.",
        "no_items": "No items in this period.", "period": "Period:", "last_days": "last {} days",
        "data_table": "Data table", "day": "Day", "platform": "Platform",
        "provenance_h": "Provenance", "count": "Items", "share": "Share", "source": "Source",
        "json": "JSON",
        "audit": "Switch audit", "audit_intro":
            "Does the feed change when you switch personalised recommendations off (a right "
            "under the Algorithm Provisions Art 17 and DSA Art 38)? The audit compares the share "
            "of personalised items in two conditions on one platform.",
        "audit_steps": [
            "In the platform's settings, switch personalised recommendations ON. Then start "
            "the audit below: condition “on” begins.",
            "Use the feed as usual for 10–20 minutes; refresh it several times (each refresh "
            "is one sample).",
            "Switch personalisation OFF in the platform's settings, then press “personalisation "
            "is now off”.",
            "Use the feed the same way for as long again. For a fairer comparison, switch back "
            "and forth more than once (on, off, on, off).",
            "Press “finish” and read the report.",
        ],
        "audit_platform": "Platform", "audit_note": "Note (optional)",
        "audit_start": "Start (personalisation is on)", "audit_sessions": "Sessions",
        "no_sessions": "No audit sessions yet.", "audit_state": "State",
        "state_finished": "finished", "state_setup": "not started", "state_in": "condition “{}”",
        "mark_on": "Personalisation is now on", "mark_off": "Personalisation is now off",
        "finish": "Finish", "report": "Report", "started": "Started", "note": "Note",
        "monthly": "Monthly report", "monthly_month": "Month", "previous_month": "previous month",
        "next_month": "next month", "change": "Change vs {}", "pp": "pp",
        "by_platform": "By platform and provenance", "total": "Total",
        # the audit report
        "audit_title": "Switch audit {id}: {platform}",
        "audit_built": "Built from the items of {platform} that feedlens logged inside each "
                       "condition's time windows (from the items table).",
        "condition": "Condition", "cond_on": "personalisation on", "cond_off": "personalisation off",
        "windows": "Time windows", "items": "Items", "responses": "Responses",
        "personalized": "Personalised", "ci": "95 % interval (Wilson)",
        "response_mean": "Mean share per response (± SE)", "confidence": "Mean adapter confidence",
        "result": "Result", "difference": "Difference (on − off)",
        "diff_ci": "95 % interval of the difference (Newcombe)",
        "test_used": "Test", "z_test": "two-proportion z-test, pooled, two-sided",
        "z": "z", "p": "p-value", "cluster": "Cluster-robust check (one cluster per response)",
        "cluster_se": "Standard error",
        "not_computed": {"too_few_responses": "not computed: needs at least two responses in "
                                              "each condition",
                         "no_spread": "not computed: every response of a condition had the same "
                                      "share, so there is no spread to measure"},
        "chart_title": "Personalised share by condition",
        "chart_desc": "Personalised share with its 95 % Wilson interval: on {on}, off {off}.",
        "composition_by_condition": "Composition by condition", "caveats": "Caveats",
        "back": "Back to Research", "audit_open": "The session is still running.",
        "caveat": {
            "provenance_labels": "Provenance is what the platform's own response says about each "
                                 "item, read by feedlens's adapter. Personalisation the platform "
                                 "does not label (for example the order of followed items) is "
                                 "not counted.",
            "time_of_day": "The conditions ran at different times ({windows} windows). Feeds "
                           "change with the time of day and with the news, so part of a "
                           "difference can come from timing; alternating the conditions "
                           "reduces this.",
            "clustering": "Items arrive in responses that the platform composes as a whole, so "
                          "they are not independent; the z-test treats them as if they were. "
                          "The cluster-robust check counts each response as one unit.",
            "unfinished": "The session is not finished: the last window runs until now.",
            "empty_condition": "Condition “{condition}” has no items: no comparison is possible.",
            "few_items": "Condition “{condition}” has only {n} items: its interval is wide.",
            "few_responses": "Condition “{condition}” has only {n} responses: the cluster-robust "
                             "check is unreliable.",
            "low_confidence": "In condition “{condition}” the adapter's mean confidence is "
                              "{mean}: its provenance labels are uncertain.",
            "adapter_confidence": "Each label is only as good as the platform adapter that reads "
                                  "it; its confidence per condition is shown above.",
        },
    },
    "zh": {
        "title": "研究",
        "intro": "本页的图表和月度报告来自你自己的条目日志（items 表：feedlens 看到的每条信息流内容的"
                 "平台、来源和作者，保留 {retention} 天）。无论研究模式是否开启都可使用，本页内容不会离开"
                 "这台电脑。",
        "mode": "研究模式", "mode_off": "关闭：不为任何研究记录数据。",
        "mode_on": "开启", "mode_paused": "已暂停：恢复之前不记录任何数据。",
        "mode_missing": "此版本的 feedlens 不提供研究模式。",
        "study": "研究", "consent_version": "同意书版本", "fields": "同意记录的原始字段",
        "no_fields": "无（仅来源和假名化标识）", "retention": "保留",
        "days_unit": "天", "consented": "同意时间",
        "composition": "每日信息流构成", "composition_all": "全部平台",
        "composition_desc": "堆叠柱状图，从 {first} 到 {last} 每天一根柱；每一段是当天某一来源的条目数。",
        "shares": "各来源占比", "shares_desc": "每个平台一根条，按最近 {days} 天各来源的占比分段。",
        "sources": "主要来源", "sources_desc": "最近 {days} 天条目最多的作者和频道。",
        "no_items": "此期间没有条目。", "period": "时间范围：", "last_days": "最近 {} 天",
        "data_table": "数据表", "day": "日期", "platform": "平台",
        "provenance_h": "来源", "count": "条目", "share": "占比", "source": "作者/频道",
        "json": "JSON",
        "audit": "个性化开关审计", "audit_intro":
            "关闭个性化推荐（《互联网信息服务算法推荐管理规定》第十七条、欧盟《数字服务法》第38条赋予的权利）"
            "之后，信息流真的会变吗？审计在同一平台上比较两种条件下个性化推荐条目的占比。",
        "audit_steps": [
            "在平台设置中开启个性化推荐，然后在下方开始审计：“开启”条件随即开始。",
            "像平时一样浏览信息流 10–20 分钟，多刷新几次（每次刷新是一个样本）。",
            "在平台设置中关闭个性化推荐，然后点击“个性化现已关闭”。",
            "以同样方式再浏览同样长的时间。若想比较更公平，可以来回切换多次（开、关、开、关）。",
            "点击“结束”，查看报告。",
        ],
        "audit_platform": "平台", "audit_note": "备注（可选）",
        "audit_start": "开始（个性化已开启）", "audit_sessions": "审计记录",
        "no_sessions": "还没有审计记录。", "audit_state": "状态",
        "state_finished": "已结束", "state_setup": "尚未开始", "state_in": "条件“{}”",
        "mark_on": "个性化现已开启", "mark_off": "个性化现已关闭",
        "finish": "结束", "report": "报告", "started": "开始时间", "note": "备注",
        "monthly": "月度报告", "monthly_month": "月份", "previous_month": "上个月",
        "next_month": "下个月", "change": "与 {} 相比", "pp": "个百分点",
        "by_platform": "按平台和来源", "total": "合计",
        "audit_title": "个性化开关审计 {id}：{platform}",
        "audit_built": "依据 feedlens 在每个条件的时间窗口内记录的 {platform} 条目（来自 items 表）。",
        "condition": "条件", "cond_on": "个性化开启", "cond_off": "个性化关闭",
        "windows": "时间窗口", "items": "条目", "responses": "响应",
        "personalized": "个性化推荐", "ci": "95% 区间（Wilson）",
        "response_mean": "每个响应的平均占比（± 标准误）", "confidence": "适配器平均置信度",
        "result": "结果", "difference": "差值（开 − 关）",
        "diff_ci": "差值的 95% 区间（Newcombe）",
        "test_used": "检验方法", "z_test": "双样本比例 z 检验（合并方差，双侧）",
        "z": "z", "p": "p 值", "cluster": "按响应聚类的稳健检验",
        "cluster_se": "标准误",
        "not_computed": {"too_few_responses": "未计算：每种条件至少需要两个响应",
                         "no_spread": "未计算：同一条件下每个响应的占比都相同，无法衡量离散程度"},
        "chart_title": "各条件下个性化推荐的占比",
        "chart_desc": "个性化推荐占比及其 95% Wilson 区间：开启 {on}，关闭 {off}。",
        "composition_by_condition": "各条件的构成", "caveats": "注意事项",
        "back": "返回研究页面", "audit_open": "审计仍在进行中。",
        "caveat": {
            "provenance_labels": "来源是平台自己的响应对每条内容的标注，由 feedlens 的适配器读取。"
                                 "平台未标注的个性化（例如关注内容的排序）不计入。",
            "time_of_day": "两种条件在不同时间进行（共 {windows} 个时间窗口）。信息流会随时段和新闻变化，"
                           "差异的一部分可能来自时间；交替进行两种条件可以减轻这一影响。",
            "clustering": "条目按响应成批到达，由平台整体编排，并不相互独立；z 检验把它们当作独立样本。"
                          "聚类稳健检验把每个响应当作一个单位。",
            "unfinished": "审计尚未结束：最后一个时间窗口持续到现在。",
            "empty_condition": "条件“{condition}”没有条目，无法比较。",
            "few_items": "条件“{condition}”只有 {n} 个条目，区间很宽。",
            "few_responses": "条件“{condition}”只有 {n} 个响应，聚类稳健检验不可靠。",
            "low_confidence": "条件“{condition}”中适配器的平均置信度为 {mean}，来源标注不确定。",
            "adapter_confidence": "每个标注的可靠程度取决于读取它的平台适配器；上表列出了各条件的置信度。",
        },
    },
}


def caveat_text(caveat: dict, lang: str) -> str:
    params = {k: v for k, v in caveat.items() if k != "code"}
    return TEXT[lang]["caveat"][caveat["code"]].format(**params)
