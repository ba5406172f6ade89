"""Texts of a complaint about a reverted choice ("personalised recommendation off"), zh-CN and en.

- cn: to the platform's own complaint entrance (Algorithmic Recommendation Provisions Art 22
  requires one), then the 12377 reporting centre, citing Art 17 (an option not targeting
  personal characteristics, or a convenient off switch; stop at once when switched off).
  12377's published report types have no direct match, so the text says to pick the closest.
- eu: a notice to the platform citing DSA Art 38 (a recommender option not based on
  profiling) and Art 25 (interfaces that distort or impair free choice; 25(3)(b): asking again
  for a choice already made), with the Digital Services Coordinator (Art 53) as the next step.

The user fills in their name; nothing here is sent anywhere.
"""

from __future__ import annotations

from datetime import datetime, timezone

CENTRE_12377 = "https://www.12377.cn/"
JURISDICTIONS = ("cn", "eu")
ART17_ZH = ("《互联网信息服务算法推荐管理规定》第十七条：算法推荐服务提供者应当向用户提供不针对其个人特征的选项，"
            "或者向用户提供便捷的关闭算法推荐服务的选项。用户选择关闭算法推荐服务的，算法推荐服务提供者应当立即停止提供相关服务。")
ART17_EN = ("Provisions on the Administration of Algorithmic Recommendation in Internet Information Services, "
            "Art 17: providers shall offer users an option not targeting their personal characteristics, or a "
            "convenient option to switch algorithmic recommendation off; when a user switches it off, the "
            "provider shall stop at once.")
REASONS = {
    "two_in_a_row": ("连续两次观察到个性化推荐状态，期间未发现本人更改设置",
                     "two consecutive observations of the personalised state, with no change by me seen"),
    "after_restart": ("重新打开后的第一次请求即为个性化推荐状态，期间未发现本人更改设置",
                      "the first request after a restart was in the personalised state, with no change by me seen"),
    "marker": ("平台的响应中出现个性化推荐的标记（疑似）", "the platform's response carried personalised-feed markers (suspected)"),
    "counterfactual": ("与不带本人登录信息的对照请求比较（疑似）",
                       "a comparison with a paired request without my login (suspected)"),
}


def texts(case: dict, jurisdiction: str) -> dict[str, str]:
    """File name -> text, both languages for the jurisdiction."""
    if jurisdiction == "cn":
        return {"complaint-cn.zh.txt": cn_zh(case), "complaint-cn.en.txt": cn_en(case)}
    return {"notice-eu.en.txt": eu_en(case), "notice-eu.zh.txt": eu_zh(case)}


def cn_zh(case: dict) -> str:
    revert, sure = case["revert"], _sure(case, True)
    return "\n".join([
        "关于个性化推荐关闭选项未被遵守的投诉",
        f"平台：{revert['platform']}　设备：{revert['device']}　选项：{revert['choice']}",
        f"法律依据：{ART17_ZH}",
        f"事实：本人已选择关闭个性化推荐（{_armed(case)}起经观察确认）。{_at(revert['time'])}，"
        f"{REASONS[revert['reason']][0]}。判定：{sure}。观察记录：",
        *_evidence_lines(revert["evidence"]),
        "证据：随附证据包，manifest.json 记录了每个文件的 SHA-256；不含任何 Cookie 或令牌。",
        "诉求：请立即停止向本人提供个性化推荐并使本人的选择持续有效，并告知处理结果。",
        "投诉渠道：",
        "1. 平台的投诉举报入口（该规定第二十二条要求设置便捷有效的用户申诉和公众投诉、举报入口，明确处理流程和反馈时限）。",
        f"2. 平台未按时处理的，可向 12377 网上举报平台举报：{CENTRE_12377}（中央网信办违法和不良信息举报中心）。"
        "其公布的举报类型（政治、暴恐、诈骗、色情、低俗、赌博、侵权、谣言）中无直接对应项，请选择最接近的类型，并在举报内容中引用第十七条。",
        "投诉人：＿＿＿＿＿＿（请填写）",
        f"日期：{_today()}",
    ])


def cn_en(case: dict) -> str:
    revert, sure = case["revert"], _sure(case, False)
    return "\n".join([
        "Complaint: my choice to switch personalised recommendation off is not honoured",
        f"Platform: {revert['platform']}  Device: {revert['device']}  Choice: {revert['choice']}",
        f"Legal basis: {ART17_EN}",
        f"Facts: I switched personalised recommendation off (confirmed on the wire since {_armed(case)}). "
        f"At {_at(revert['time'])}: {REASONS[revert['reason']][1]}. Finding: {sure}. Observations:",
        *_evidence_lines(revert["evidence"]),
        "Evidence: the attached bundle; manifest.json holds the SHA-256 of every file. "
        "It contains no cookie or token value.",
        "Request: stop personalised recommendation for me at once, keep my choice, and tell me the outcome.",
        "Where to send it:",
        "1. The platform's complaint and report entrance (Art 22 of the same Provisions requires a "
        "convenient one, with a process and a time limit for feedback).",
        f"2. If the platform does not act in time: the 12377 reporting centre, {CENTRE_12377} (CAC). "
        "None of its published report types (political, violence/terror, fraud, pornography, vulgar, "
        "gambling, infringement, rumours) matches; choose the closest and cite Art 17 in the details.",
        "Complainant: __________ (fill in)",
        f"Date: {_today()}",
    ])


def eu_en(case: dict) -> str:
    revert, sure = case["revert"], _sure(case, False)
    return "\n".join([
        f"Notice to {revert['platform']}: the recommender option not based on profiling is not honoured",
        "Regulation (EU) 2022/2065 (Digital Services Act), Articles 38 and 25",
        "Art 38: providers of very large online platforms that use recommender systems shall provide at "
        "least one option for each of them which is not based on profiling.",
        "Art 25: online interfaces shall not be designed, organised or operated in a way that deceives or "
        "manipulates recipients or otherwise materially distorts or impairs their ability to make free and "
        "informed decisions; Art 25(3)(b) names repeatedly requesting a choice that has already been made.",
        f"Facts: I chose the option not based on profiling (confirmed on the wire since {_armed(case)}). "
        f"At {_at(revert['time'])}: {REASONS[revert['reason']][1]}. Finding: {sure}. Observations:",
        *_evidence_lines(revert["evidence"]),
        "Evidence: the attached bundle; manifest.json holds the SHA-256 of every file. "
        "It contains no cookie or token value.",
        "Request: restore the option I chose, keep it across navigation, restarts and devices, and tell me "
        "what you did.",
        "Next step: if this is not remedied, I will lodge a complaint with the Digital Services Coordinator "
        "of the Member State where I live (DSA Art 53).",
        "Name and email: __________ (fill in)",
        f"Date: {_today()}",
    ])


def eu_zh(case: dict) -> str:
    revert, sure = case["revert"], _sure(case, True)
    return "\n".join([
        f"致 {revert['platform']} 的通知：不基于用户画像的推荐选项未被遵守",
        "欧盟《数字服务法》（条例 (EU) 2022/2065）第 38 条和第 25 条",
        "第 38 条：使用推荐系统的超大型在线平台应为每个推荐系统提供至少一个不基于用户画像的选项。",
        "第 25 条：在线界面的设计、组织或运营不得欺骗、操纵或以其他方式实质性扭曲或损害用户自由、知情决定的能力；"
        "第 25(3)(b) 条提到反复要求用户就已作出的选择再次选择。",
        f"事实：本人已选择不基于用户画像的选项（{_armed(case)}起经观察确认）。{_at(revert['time'])}，"
        f"{REASONS[revert['reason']][0]}。判定：{sure}。观察记录：",
        *_evidence_lines(revert["evidence"]),
        "证据：随附证据包，manifest.json 记录了每个文件的 SHA-256；不含任何 Cookie 或令牌。",
        "诉求：恢复本人选择的选项，使其在页面切换、重启和不同设备上持续有效，并告知处理情况。",
        "下一步：如未纠正，本人将向居住地成员国的数字服务协调员（Digital Services Coordinator）投诉（第 53 条）。",
        "姓名和电子邮箱：＿＿＿＿＿＿（请填写）",
        f"日期：{_today()}",
    ])


def _sure(case: dict, zh: bool) -> str:
    if case["revert"]["sure"] == "confirmed":
        return "已确认（来自请求标志或设置读回）" if zh else "confirmed (from a request flag or a settings read-back)"
    return "疑似（仅来自响应标记或对照请求）" if zh else "suspected (only from response markers or a paired request)"


def _armed(case: dict) -> str:
    epoch = case["revert"]["epoch"]
    first = next((e["first"] for e in case.get("epochs", []) if e["epoch"] == epoch), None)
    return _at(first) if first is not None else "?"


def _evidence_lines(evidence: list) -> list[str]:
    lines = []
    for entry in evidence:
        where = f"{entry.get('method', '')} {entry.get('host', '')}{entry.get('path', '')}".strip()
        read = f"{entry.get('read')} = {entry.get('value')}" if entry.get("read") else entry.get("rule", "")
        lines.append(f"  - {_at(entry.get('time'))} {where}: {read}")
    return lines


def _at(seconds) -> str:
    if seconds is None:
        return "?"
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")
