""""Hide personalised on this platform until the choice is honoured again": one rule in My rules
(feedlens.myrules, the user's layer over the active profile), named `switch:choice:PLATFORM`.

The service adds it (a dashboard form, validated like every My-rules edit). The watchdog takes
it out again by itself when it reads the choice honoured (a confirmed `not_personalised`
observation): the layer file is edited here, keeping its other lines, and the Runtime's hot
reload picks the change up. A locked profile is never weakened by the layer (myrules.compose),
and this rule only hides more, so it needs no PIN."""

from __future__ import annotations

import logging
import re

from .. import myrules
from ..files import write_atomic

log = logging.getLogger("feedlens")
PREFIX = myrules.SWITCH_PREFIX + "choice:"


def rule_id(platform: str) -> str:
    return PREFIX + platform


def rule(platform: str) -> dict:
    return {"id": rule_id(platform), "source": "choices",
            "description": f"Hide personalised items on {platform} until the choice is honoured again",
            "when": {"platform": platform, "provenance": "personalized"}, "action": "hide"}


def hidden_platforms(text: str) -> set[str]:
    """Platforms whose hide rule the layer text holds."""
    return set(re.findall(rf"^\s*- id: ['\"]?{re.escape(PREFIX)}([\w.-]+)['\"]?\s*$", text, re.M))


def without(text: str, platform: str) -> str:
    """The layer text without the platform's hide rule (its block of lines), other lines as they were."""
    lines = text.splitlines(keepends=True)
    head = re.compile(rf"^(\s*)- id: ['\"]?{re.escape(rule_id(platform))}['\"]?\s*$")
    start = next((i for i, line in enumerate(lines) if head.match(line)), None)
    if start is None:
        return text
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    end = start + 1
    while end < len(lines) and not (lines[end].strip() and
                                    len(lines[end]) - len(lines[end].lstrip(" ")) <= indent):
        end += 1
    rest = "".join(lines[:start] + lines[end:])
    return re.sub(r"^rules:[ \t]*$(?![\s\S]*^\s*- )", "rules: []", rest, count=1, flags=re.M)


def honoured(platform: str) -> bool:
    """Drop the platform's hide rule, if the layer has one; True when it did. Blocking (a thread)."""
    path = myrules.layer_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return False
    if platform not in hidden_platforms(text):
        return False
    write_atomic(path, without(text, platform))
    log.info("feedlens: %s honours the choice again: hide personalised there ended", platform)
    return True
