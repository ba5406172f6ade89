"""`feedlens choices declare` and the table's "declared" column, on a real data dir and the
bundled rules: a platform never observed shows once declared; X (declare: required) shows
"not declared" until then; unknown platforms and bad states are refused with a clear message."""

from __future__ import annotations

import json

import pytest

from feedlens.cli import main


def choices(capsys, data_dir, *args) -> tuple[int, str, str]:
    code = main(["choices", *args, "--data-dir", str(data_dir)])
    out = capsys.readouterr()
    return code, out.out, out.err


def table(capsys, data_dir) -> dict:
    code, out, _ = choices(capsys, data_dir, "--json")
    assert code == 0
    return {(row["platform"], row["device"]): row for row in json.loads(out)}


def test_declare_shows_a_platform_never_observed_and_withdraw_forgets(capsys, tmp_path):
    assert table(capsys, tmp_path) == {}
    code, out, _ = choices(capsys, tmp_path, "declare", "reddit", "off")
    assert code == 0 and "declared off for every device" in out
    assert choices(capsys, tmp_path, "declare", "x", "on", "--device", "10.0.0.7")[0] == 0
    rows = table(capsys, tmp_path)
    assert {key: row["declared"] for key, row in rows.items()} == {("reddit", "*"): "off", ("x", "10.0.0.7"): "on"}
    assert rows[("reddit", "*")]["observed"] == "unknown" and rows[("reddit", "*")]["reverts"] == 0
    code, out, _ = choices(capsys, tmp_path)
    assert out.splitlines()[0].split()[:4] == ["platform", "device", "choice", "declared"]

    code, out, _ = choices(capsys, tmp_path, "declare", "reddit", "--withdraw")
    assert code == 0 and "withdrawn" in out
    assert choices(capsys, tmp_path, "declare", "reddit", "--withdraw")[1].startswith("reddit: nothing was declared")
    assert set(table(capsys, tmp_path)) == {("x", "10.0.0.7")}


def test_an_unknown_platform_lists_those_with_a_choice(capsys, tmp_path):
    code, _, err = choices(capsys, tmp_path, "declare", "mastodon", "off")
    assert code == 2
    assert "no platform 'mastodon' has a choice to declare" in err
    assert "bilibili, bluesky, douyin, reddit, weibo, x, xiaohongshu, youtube, zhihu" in err
    assert table(capsys, tmp_path) == {}


@pytest.mark.parametrize("args", [["x"], ["x", "off", "--withdraw"]])
def test_state_or_withdraw_exactly_one(capsys, tmp_path, args):
    code, _, err = choices(capsys, tmp_path, "declare", *args)
    assert code == 2 and "give 'off' or 'on', or --withdraw" in err


def test_a_bad_state_is_refused_by_name(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        main(["choices", "declare", "x", "maybe", "--data-dir", str(tmp_path)])
    assert exit_.value.code == 2
    assert "invalid choice: 'maybe' (choose from 'off', 'on')" in capsys.readouterr().err
