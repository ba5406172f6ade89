"""The choice watchdog through the real proxy: sequences of the platforms' own requests and
responses (tests/data/choices/sequences.yaml) go through `feedlens run` to the replay server.
Every silent revert spliced into a sequence is in the store with its evidence; staying off,
one-off readings and the user's own change raise nothing; a restart in the personalised state
is caught. X shows which home tab is asked for but not the user's own click (its rules say
`declare: required`): it is watched only once the user declared "off" through `feedlens choices
declare`, and declaring "on" silences it. Reads the store as `feedlens choices` does."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.request

import pytest
import yaml

from feedlens.choices.cli import when

from .conftest import ROOT, start_feedlens, wait_until

SEQUENCES = yaml.safe_load((ROOT / "tests" / "data" / "choices" / "sequences.yaml").read_text())
SECRET = "secret-cookie-value-0451"
# A confirmed switch: off arms; one-off on readings are not a revert; two in a row are (twice,
# re-armed in between); `expected` is where each revert shows.
CONFIRMED = ["off", "off", "on", "off", "off", "on", "on", "off", "on", "on", "on", "off"]
CONFIRMED_REVERTS = [6, 9]
# Then the user turns it on on the wire: a new epoch, never a revert.
USER_CHANGE = ["write_on", "on", "on", "on", "off"]
MARKERS = ["off", "off", "on", "on", "off"]


@pytest.fixture(scope="module")
def watched(replay, certs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("choices")
    instance = start_feedlens(tmp, replay, certs / "ca.pem")
    holder = {"fl": instance, "tmp": tmp}
    try:
        yield holder
    finally:
        holder["fl"].proc.stop()


def send(fl, platform: str, step: str) -> None:
    spec = SEQUENCES[platform][step]
    headers = {"cookie": f"SESSDATA={SECRET}", **spec.get("headers", {})}
    data = None
    if "json" in spec or "json_file" in spec:
        doc = spec.get("json") or json.loads(
            (ROOT / "tests" / "data" / "choices" / f"{spec['json_file']}.json").read_text())
        data, headers["content-type"] = json.dumps(doc).encode(), "application/json"
    if "answer" in spec:
        headers["x-replay-choice"] = spec["answer"]
    request = urllib.request.Request(spec["url"], data=data, headers=headers, method=spec["method"])
    with fl.opener().open(request, timeout=60) as response:
        assert response.status == 200
        response.read()


def rows(fl, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(f"file:{fl.db}?mode=ro", uri=True) as db:
        return db.execute(sql, params).fetchall()


def play(fl, platform: str, steps: list[str]) -> None:
    before = rows(fl, "SELECT COUNT(*) FROM choice_observations WHERE platform = ?", platform)[0][0]
    for step in steps:
        send(fl, platform, step)
    expected = before + sum(SEQUENCES[platform][step].get("observations", 1) for step in steps)
    wait_until(lambda: rows(fl, "SELECT COUNT(*) FROM choice_observations WHERE platform = ?",
                            platform)[0][0] == expected, 30, f"{platform} observations")


def reverts(fl, platform: str) -> list[tuple]:
    return rows(fl, "SELECT sure, reason, evidence FROM choice_reverts WHERE platform = ? ORDER BY id",
                platform)


def choices_cli(fl, *args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "feedlens.cli", "choices", *args, "--data-dir", str(fl.data_dir)]
    return subprocess.run(argv, capture_output=True, text=True, check=True)


def test_x_is_watched_only_once_the_user_declared(watched):
    """Without a declaration X's tabs are recorded, never armed, never a revert; declared off,
    the spliced reverts are caught (arming only on a Following request that confirms it);
    declared on, For you is what the user wants: nothing is raised."""
    fl = watched["fl"]
    play(fl, "x", CONFIRMED)
    assert reverts(fl, "x") == []
    [row] = json.loads(choices_cli(fl, "--json").stdout)
    assert (row["platform"], row["declared"], row["observed"]) == ("x", "not declared", "not_personalised")

    choices_cli(fl, "declare", "x", "off")
    play(fl, "x", ["on", "on"])  # a new epoch, not armed before a confirming observation
    assert reverts(fl, "x") == []
    play(fl, "x", CONFIRMED)
    assert_spliced_reverts(fl, "x", CONFIRMED)

    choices_cli(fl, "declare", "x", "on")
    play(fl, "x", ["off", "on", "on", "on"])
    assert len(reverts(fl, "x")) == len(CONFIRMED_REVERTS)
    epochs = rows(fl, "SELECT DISTINCT epoch FROM choice_observations WHERE platform = 'x' ORDER BY epoch")
    assert len(epochs) == 3  # before any declaration, declared off, declared on

    choices_cli(fl, "declare", "x", "off")  # off again: what follows is watched
    play(fl, "x", ["off"])


def test_x_following_with_ranked_injections_is_only_suspected(watched):
    """Declared off and armed: a Following page that carries the ranking's injection
    (clientEventInfo.component suggest_ranked_organic_tweet) is a suspected revert each time,
    with the marker's evidence; never a confirmed one, and plain Following pages raise nothing."""
    fl = watched["fl"]
    choices_cli(fl, "declare", "x", "off")
    play(fl, "x", ["off"])
    before = len(reverts(fl, "x"))
    play(fl, "x", ["ranked", "off", "off", "ranked"])
    found = reverts(fl, "x")[before:]
    assert [(sure, reason) for sure, reason, _ in found] == [("suspected", "marker")] * 2
    for _, _, evidence in found:
        [entry] = json.loads(evidence)
        assert (entry["rule"], entry["value"]) == ("following-ranked-injection", "ranked")
    states = rows(fl, "SELECT kind, state FROM choice_observations WHERE platform = 'x' ORDER BY id DESC LIMIT 6")
    assert list(reversed(states)) == [("flag", "not_personalised"), ("marker", "personalised"),
                                      ("flag", "not_personalised"), ("flag", "not_personalised"),
                                      ("flag", "not_personalised"), ("marker", "personalised")]


@pytest.mark.parametrize("platform", ["bilibili", "reddit", "bluesky"])
def test_every_spliced_revert_is_reported_with_evidence(watched, platform):
    fl = watched["fl"]
    play(fl, platform, CONFIRMED)
    assert_spliced_reverts(fl, platform, CONFIRMED)


def assert_spliced_reverts(fl, platform: str, steps: list[str]) -> None:
    found = reverts(fl, platform)
    assert [(sure, reason) for sure, reason, _ in found] == [("confirmed", "two_in_a_row")] * len(CONFIRMED_REVERTS)
    for _, _, evidence in found:
        run = json.loads(evidence)
        assert len(run) == 2 and all(entry["rule"] and entry["path"] for entry in run)
    observed = rows(fl, "SELECT state FROM choice_observations WHERE platform = ? ORDER BY id DESC LIMIT ?",
                    platform, len(steps))
    assert [state for (state,) in reversed(observed)] == [
        "not_personalised" if step == "off" else "personalised" for step in steps]


@pytest.mark.parametrize("platform", ["reddit", "bluesky"])
def test_the_users_own_change_is_never_a_revert(watched, platform):
    fl = watched["fl"]
    before = len(reverts(fl, platform))
    play(fl, platform, USER_CHANGE)
    assert len(reverts(fl, platform)) == before
    kinds = rows(fl, "SELECT kind, state FROM choice_observations WHERE platform = ? ORDER BY id DESC LIMIT ?",
                 platform, len(USER_CHANGE))
    assert kinds[-1] == ("setting_write", "personalised")


def test_a_marker_is_only_suspected(watched):
    fl = watched["fl"]
    play(fl, "youtube", MARKERS)
    assert [(sure, reason) for sure, reason, _ in reverts(fl, "youtube")] == [("suspected", "marker")]


def test_a_restart_in_the_personalised_state_is_caught(watched, replay, certs):
    fl = watched["fl"]
    for platform in ("bilibili", "x", "reddit", "bluesky"):  # every track ends armed and off
        play(fl, platform, ["off"])
    counts = {p: len(reverts(fl, p)) for p in ("bilibili", "x", "reddit", "bluesky")}
    fl.proc.stop()
    fl = watched["fl"] = start_feedlens(watched["tmp"], replay, certs / "ca.pem")
    for platform, before in counts.items():
        play(fl, platform, ["on"])
        found = reverts(fl, platform)
        assert len(found) == before + 1 and found[-1][:2] == ("confirmed", "after_restart"), platform


def test_no_cookie_or_token_value_is_stored(watched):
    fl = watched["fl"]
    assert SECRET.encode() not in fl.db.read_bytes()
    assert rows(fl, "SELECT COUNT(*) FROM choice_observations WHERE evidence LIKE ?", f"%{SECRET}%") == [(0,)]


def test_the_cli_prints_the_table_from_the_store(watched):
    fl = watched["fl"]
    argv = [sys.executable, "-m", "feedlens.cli", "choices", "--data-dir", str(fl.data_dir)]
    listed = json.loads(subprocess.run(argv + ["--json"], capture_output=True, text=True, check=True).stdout)
    by_platform = {row["platform"]: row for row in listed}
    assert set(by_platform) == {"bilibili", "x", "reddit", "bluesky", "youtube"}
    for platform, row in by_platform.items():
        stored = reverts(fl, platform)
        assert row["reverts"] == sum(sure == "confirmed" for sure, _, _ in stored)
        assert row["suspected"] == sum(sure == "suspected" for sure, _, _ in stored)
        # only a flag or a read-back verifies the choice; YouTube shows markers only
        assert (row["last verified"] is None) == (platform == "youtube")
    assert by_platform["bilibili"]["observed"] == "personalised"  # the revert after the restart
    assert {p: row["declared"] for p, row in by_platform.items()} == {
        "x": "off", "bilibili": None, "reddit": None, "bluesky": None, "youtube": None}
    text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert text.splitlines()[0].split()[:3] == ["platform", "device", "choice"]
    assert len(text.splitlines()) == 1 + len(listed)
    # the same rows as the dashboard's page reads (GET /api/choices, the running service)
    status, answer = fl.api("/api/choices")
    assert status == 200
    page = {(t["platform"], t["device"]): t for t in answer["choices"]}
    assert set(page) == {(row["platform"], row["device"]) for row in listed}
    for row in listed:
        track = page[row["platform"], row["device"]]
        assert (row["observed"], row["choice"]) == (track["observed"], track["choice"])
        assert row["last verified"] == when(track["last_verified"])
        assert row["suspected"] == sum(r["sure"] == "suspected" for r in track["reverts"])
