"""The words of the participant page /research/participant in English and Chinese.

Written for the participant, not the researcher: what is recorded, in plain language, and what
each control does. FIELD_TEXT explains each consentable field (proxy/research/consent.py FIELDS).
"""

from __future__ import annotations

TEXT = {
    "en": {
        "title": "Your research data",
        "intro": "This page is for you as a study participant: what research mode records, what "
                 "you agreed to, exactly what an export would contain, and how to pause, withdraw "
                 "or delete. Nothing on this page leaves this computer: a study receives your "
                 "records only when you export them and send the file yourself.",
        "back": "Back to Research",
        "link": "Your research data: consent, see what you donate, pause, delete",
        "missing": "This feedlens has no research mode.",
        # state
        "state": "Research mode and consent", "mode": "Research mode",
        "mode_off": "Off: nothing is recorded for a study.", "mode_on": "On: recording.",
        "mode_paused": "Paused: nothing is recorded until you resume.",
        "study": "Study", "consent_version": "Consent version", "fields": "Raw fields consented",
        "no_fields": "none (only categories and pseudonyms)", "retention": "Kept for",
        "days": "{} days", "consented": "Consented on", "participant": "Your participant id",
        "records": "Research records on this computer", "first": "Oldest record",
        "last": "Newest record", "problem": "Problem",
        # what is recorded
        "what": "What is recorded",
        "what_always": "For each feed item feedlens sees while research mode is on and not "
                       "paused: when it was seen, the platform, the part of the app (home feed, "
                       "search, …), its position, its kind (video, post, ad, …), why the platform "
                       "shows it (followed, personalised, popular, promoted, …), what your own "
                       "profile did with it, and pseudonyms of the item and of its author: codes "
                       "that cannot be turned back into the item or the account without a secret "
                       "key that stays on this computer.",
        "what_fields": "The item's own words are recorded only for the fields you tick in the "
                       "consent form; a field you do not tick is never written.",
        "what_never": "Never recorded: your accounts, cookies or passwords, what you type, pages "
                      "other than feeds, and the traffic of devices a parent gave their own "
                      "profile.",
        "what_where": "Records stay in the feedlens database on this computer. They are deleted "
                      "automatically once older than the retention you choose; you can delete "
                      "them sooner below.",
        # consent form
        "consent": "Consent", "consent_now": "You have consented as shown above. Giving consent "
                                             "again (for example to a new version) replaces it.",
        "study_id_label": "Study id (from the study's information sheet)",
        "version_label": "Version of the consent text you read",
        "fields_legend": "The item's own words you allow to be recorded (each one separately)",
        "retention_label": "Keep records for (days, 1 to {max})",
        "key_label": "Study key (optional: only if the study gave you one; 64 hex digits)",
        "give": "I agree: start recording", "replace": "I agree: replace my consent",
        # controls
        "controls": "Pause or withdraw",
        "controls_off": "Research mode is off: there is nothing to pause or withdraw.",
        "pause": "Pause recording", "resume": "Resume recording",
        "withdraw": "Withdraw consent and switch research mode off",
        "withdraw_note": "Withdrawing stops recording at once. Records already made stay until "
                         "you delete them below or they expire.",
        # preview
        "preview": "See what you donate",
        "preview_intro": "The newest {shown} of the {total} records an export would contain "
                         "right now, exactly as the export writes them: every column, in its "
                         "order. An empty cell is empty in the export too (null in JSON Lines).",
        "preview_none": "No records: an export would be empty.",
        "show": "Show the newest:", "rows": "{} records",
        # delete
        "delete": "Delete your records",
        "delete_intro": "Deletes the research records seen in a time range (the dashboard's own "
                        "item log is not touched). Their bytes are overwritten in the database "
                        "file. This cannot be undone.",
        "since": "From", "until": "Until",
        "range_hint": "Leave “From” empty to delete from the beginning, “Until” empty to delete "
                      "up to now.",
        "delete_range": "Delete this range", "quick": "Or delete:",
        "hour": "the last hour", "today": "today", "all": "everything",
        "confirm": "I understand that deleted records cannot be recovered",
        # export
        "export": "Export", "export_intro": "To send your records to the study, run one of these "
                                            "in a terminal on this computer. You decide what to "
                                            "send, and to whom.",
        "dictionary": "What each column means (the data dictionary):",
        "cli": "The same controls on the command line:",
        # notices after a form
        "notice": {
            "consented": "Consent recorded: research mode is on.",
            "paused": "Recording is paused.", "resumed": "Recording resumed.",
            "withdrawn": "Consent withdrawn: research mode is off.",
            "deleted": "Deleted {n} records.",
            "bad_consent": "Please check “{field}”: {rule}",
            "bad_range": "The start of the range must be before its end.",
            "bad_time": "Please enter a valid date and time.",
            "off": "Research mode is off: there is nothing to pause.",
            "confirm": "Nothing was deleted: tick the box to confirm.",
            "missing": "This feedlens has no research mode.",
        },
        "rules": {
            "study_id": "1 to 64 letters, digits, “.”, “-” or “_”, starting with a letter or digit.",
            "consent_version": "1 to 32 letters, digits, “.”, “+”, “-” or “_”.",
            "fields": "tick only the fields listed.",
            "retention_days": "a whole number of days from 1 to {max}.",
            "study_key": "64 hex digits (0-9, a-f), exactly as the study gave it.",
        },
    },
    "zh": {
        "title": "我的研究数据",
        "intro": "本页供作为研究参与者的你使用：研究模式记录什么、你同意了什么、导出文件究竟包含什么，"
                 "以及如何暂停、撤回或删除。本页内容不会离开这台电脑：只有你自己导出并发送文件，"
                 "研究方才会收到你的记录。",
        "back": "返回研究页面",
        "link": "我的研究数据：同意书、查看我捐赠的数据、暂停、删除",
        "missing": "此版本的 feedlens 不提供研究模式。",
        "state": "研究模式与同意", "mode": "研究模式",
        "mode_off": "关闭：不为任何研究记录数据。", "mode_on": "开启：正在记录。",
        "mode_paused": "已暂停：恢复之前不记录任何数据。",
        "study": "研究", "consent_version": "同意书版本", "fields": "同意记录的原始字段",
        "no_fields": "无（仅类别和假名）", "retention": "保留",
        "days": "{} 天", "consented": "同意时间", "participant": "你的参与者编号",
        "records": "本机上的研究记录", "first": "最早的记录", "last": "最新的记录",
        "problem": "问题",
        "what": "记录哪些内容",
        "what_always": "研究模式开启且未暂停时，feedlens 看到的每条信息流内容会记录：看到的时间、平台、"
                       "所在位置（首页、搜索……）、排序位置、类型（视频、帖子、广告……）、平台推送它的原因"
                       "（关注、个性化推荐、热门、推广……）、你自己的配置如何处理它，以及内容和作者的假名："
                       "没有保存在这台电脑上的密钥，就无法把假名还原成内容或账号。",
        "what_fields": "内容本身的文字只有在你于同意表中勾选相应字段时才会记录；未勾选的字段永远不会写入。",
        "what_never": "永远不会记录：你的账号、Cookie 或密码、你输入的内容、信息流以外的页面，以及家长为其"
                      "单独设置配置的设备的流量。",
        "what_where": "记录保存在这台电脑上的 feedlens 数据库中。超过你选择的保留期后会自动删除；你也可以"
                      "在下方提前删除。",
        "consent": "同意", "consent_now": "你已按上表给出同意。再次提交（例如同意新版本）将替换原有同意。",
        "study_id_label": "研究编号（见研究的说明材料）",
        "version_label": "你阅读的同意书版本",
        "fields_legend": "允许记录的内容原文（逐项选择）",
        "retention_label": "记录保留天数（1 到 {max}）",
        "key_label": "研究密钥（可选：仅当研究方提供时填写；64 位十六进制数字）",
        "give": "我同意：开始记录", "replace": "我同意：替换原有同意",
        "controls": "暂停或撤回",
        "controls_off": "研究模式已关闭：没有可以暂停或撤回的内容。",
        "pause": "暂停记录", "resume": "恢复记录",
        "withdraw": "撤回同意并关闭研究模式",
        "withdraw_note": "撤回后立即停止记录。已有的记录会保留，直到你在下方删除或超过保留期。",
        "preview": "查看我捐赠的数据",
        "preview_intro": "以下是导出文件此刻会包含的 {total} 条记录中最新的 {shown} 条，与导出写入的完全"
                         "一致：全部列，顺序相同。空白单元格在导出中同样为空（JSON Lines 中为 null）。",
        "preview_none": "没有记录：导出文件将为空。",
        "show": "显示最新：", "rows": "{} 条",
        "delete": "删除我的记录",
        "delete_intro": "删除在某一时间范围内记录的研究记录（仪表盘自身的条目日志不受影响）。"
                        "数据库文件中这些记录的字节会被覆盖。删除后无法恢复。",
        "since": "从", "until": "到",
        "range_hint": "“从”留空表示从最早开始，“到”留空表示截至现在。",
        "delete_range": "删除此范围", "quick": "或者删除：",
        "hour": "最近一小时", "today": "今天", "all": "全部",
        "confirm": "我明白删除的记录无法恢复",
        "export": "导出", "export_intro": "要把记录发送给研究方，请在这台电脑的终端中运行以下命令之一。"
                                          "发送什么、发给谁，由你决定。",
        "dictionary": "各列的含义（数据字典）：",
        "cli": "命令行中的相同操作：",
        "notice": {
            "consented": "已记录同意：研究模式已开启。",
            "paused": "记录已暂停。", "resumed": "已恢复记录。",
            "withdrawn": "已撤回同意：研究模式已关闭。",
            "deleted": "已删除 {n} 条记录。",
            "bad_consent": "请检查“{field}”：{rule}",
            "bad_range": "时间范围的开始必须早于结束。",
            "bad_time": "请输入有效的日期和时间。",
            "off": "研究模式已关闭：没有可以暂停的内容。",
            "confirm": "未删除任何记录：请勾选确认框。",
            "missing": "此版本的 feedlens 不提供研究模式。",
        },
        "rules": {
            "study_id": "1 到 64 个字母、数字、“.”、“-”或“_”，以字母或数字开头。",
            "consent_version": "1 到 32 个字母、数字、“.”、“+”、“-”或“_”。",
            "fields": "只能勾选列出的字段。",
            "retention_days": "1 到 {max} 之间的整数天数。",
            "study_key": "64 位十六进制数字（0-9、a-f），与研究方提供的完全一致。",
        },
    },
}

# Each consentable field in plain words: (label, what it is).
FIELD_TEXT = {
    "en": {
        "title": ("Title", "the headline or the video's title"),
        "text": ("Text", "the description or the body of a post"),
        "author_name": ("Author's name", "the display name of the account that posted it (the "
                                         "account itself is always only a pseudonym)"),
        "url": ("Link", "the item's web address"),
        "reason_text": ("Platform's reason", "the platform's own words for why it shows the "
                                             "item, e.g. “because you watched …”"),
    },
    "zh": {
        "title": ("标题", "内容的标题或视频标题"),
        "text": ("正文", "简介或帖子正文"),
        "author_name": ("作者名称", "发布账号的显示名称（账号本身始终只记录假名）"),
        "url": ("链接", "内容的网址"),
        "reason_text": ("平台给出的理由", "平台自己说明推送原因的文字，例如“因为你看过……”"),
    },
}

# Form field names of the consent form, for the “please check …” notice.
FORM_LABELS = {
    "en": {"study_id": "Study id", "consent_version": "Consent version",
           "fields": "Raw fields", "retention_days": "Keep records for", "study_key": "Study key"},
    "zh": {"study_id": "研究编号", "consent_version": "同意书版本", "fields": "原始字段",
           "retention_days": "记录保留天数", "study_key": "研究密钥"},
}
