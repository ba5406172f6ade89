"""The study server's settings (file and environment) and the shipped migrations' order."""

from __future__ import annotations

import pytest

from feedlens.research.join_cli import describe
from feedlens.study import migrate
from feedlens.study.config import ConfigError, load

from .support import study_spec


def test_environment_wins_over_the_file_and_limits_are_typed(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("port: 9000\nhost: 0.0.0.0\nlimits: {max_records: 10}\n", encoding="utf-8")
    config = load(str(path), {"FEEDLENS_STUDY_PORT": "9100", "FEEDLENS_STUDY_ADMIN_TOKEN": "t" * 30})
    assert (config.port, config.host, config.limits.max_records) == (9100, "0.0.0.0", 10)
    assert config.token() == "t" * 30 and config.origin == "http://0.0.0.0:9100"


def test_unknown_settings_and_short_tokens_are_refused(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("prot: 9000\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown settings: prot"):
        load(str(path), {})
    with pytest.raises(ConfigError, match="at least 24"):
        load(None, {"FEEDLENS_STUDY_ADMIN_TOKEN": "short"}).token()


def test_migrations_are_numbered_from_one():
    assert [version for version, _, _ in migrate.migrations()][0] == 1


def test_the_consent_is_shown_in_the_participants_language():
    spec = study_spec()
    study = {**spec, "consent": {"version": "1", "text": spec["consent"]["text"]}}
    assert "我们记录你的信息流内容。" in describe(study, "zh-CN") and "要求的原始字段" in describe(study, "zh")
    shown = describe(study, "en")
    assert "We record what your feeds show." in shown and "title: The item's title." in shown
