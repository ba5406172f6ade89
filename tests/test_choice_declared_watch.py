"""The watchdog holds each track to the user's declaration (feedlens.choices.track and
watchdog): a declaration or a change of it starts a new epoch and is never a revert; declared
"on", nothing is raised; where the rules say `declare: required`, an undeclared track is never
armed; "off" arms only on a confirming observation. The declaration survives a restart, and a
declaration made by another process (`feedlens choices declare`) is seen by a running
watchdog. Real SQLite through the Store."""

from __future__ import annotations

import pytest

from feedlens.choice import Observation
from feedlens.choices import declare as d
from feedlens.choices.track import OFF, ON, Track, declaration, step
from feedlens.choices.watchdog import Watchdog, hold_tracks
from feedlens.store import Store

CHOICE = "personalised_recommendation"


def obs(state, declare="optional", kind="flag"):
    sure = "suspected" if kind == "marker" else "confirmed"
    return Observation("x", CHOICE, "home", kind, sure, state, {"v": state}, declare)


def run(track, sequence, start=0):
    """(index, reason) of each revert; a str in the sequence is a declaration (None: withdrawn)."""
    found = []
    for index, item in enumerate(sequence, start):
        if isinstance(item, Observation):
            revert = step(track, item, float(index), False)
            if revert is not None:
                found.append((index, revert.reason))
        else:
            declaration(track, item or None, float(index))
    return found


def test_declared_on_never_reverts_but_records_the_state():
    track = Track()
    assert run(track, [OFF, obs(OFF), obs(ON), ON, obs(ON), obs(ON), obs(ON)]) == []
    assert track.last_state == ON and not track.armed and track.epoch == 2


def test_a_declaration_change_is_a_new_epoch_never_a_revert():
    track = Track()
    # armed, one personalised reading, then the user declares on and off again: no revert,
    # and off must be confirmed again before anything counts
    assert run(track, [obs(OFF), obs(ON), ON, OFF, obs(ON), obs(ON), obs(OFF), obs(ON), obs(ON)]) == [
        (8, "two_in_a_row")]
    assert track.epoch == 2
    same = track.epoch
    declaration(track, OFF, 3.0)  # the same declaration again (same time): nothing changes
    assert track.epoch == same and track.reverted
    declaration(track, None, None)  # withdrawn: a change too
    assert track.epoch == same + 1 and not track.reverted and not track.armed


def test_declare_required_watches_only_a_declared_choice():
    required = [obs(OFF, "required"), obs(ON, "required"), obs(ON, "required")]
    track = Track()
    assert run(track, required) == []
    assert not track.armed and track.last_state == ON and track.last_verified is None
    assert run(track, [OFF, *required], start=3) == [(6, "two_in_a_row")]
    marker = [obs(OFF, "required", "marker"), obs(ON, "required", "marker")]
    assert run(Track(), marker) == []  # markers too


def test_declare_optional_undeclared_is_watched_as_before():
    assert run(Track(), [obs(OFF), obs(ON), obs(ON)]) == [(2, "two_in_a_row")]


@pytest.fixture
async def store(tmp_path):
    store = Store(tmp_path / "feedlens.sqlite3", prune_interval=0)
    await store.start()
    yield store
    await store.close()


async def test_a_declaration_survives_a_restart(store):
    await store.run_write(lambda db: d.declare(db, "x", OFF, 100.0))
    watchdog = Watchdog(store)
    await watchdog.observe(obs(OFF, "required"), "10.0.0.2", 1000.0)
    restarted = Watchdog(store)  # feedlens restarted: the same declaration, not a new epoch
    revert = await restarted.observe(obs(ON, "required"), "10.0.0.2", 1001.0)
    assert (revert.sure, revert.reason) == ("confirmed", "after_restart")


async def test_another_process_declares_and_the_running_watchdog_follows(store):
    watchdog = Watchdog(store)
    for now, state in enumerate((OFF, ON), start=1000):
        assert await watchdog.observe(obs(state, "required"), "10.0.0.2", now) is None
    # as `feedlens choices declare x off` does: the declaration and the stored tracks' new epoch
    assert await store.run_write(lambda db: (d.declare(db, "x", OFF, 1002.0), hold_tracks(db, "x", CHOICE))[1]) == 1
    epoch = (await store.run_read(lambda db: db.execute("SELECT epoch FROM choice_tracks").fetchone()))[0]
    assert epoch == 1
    assert await watchdog.observe(obs(ON, "required"), "10.0.0.2", 1003.0) is None  # not armed yet
    await watchdog.observe(obs(OFF, "required"), "10.0.0.2", 1004.0)
    await watchdog.observe(obs(ON, "required"), "10.0.0.2", 1005.0)
    assert (await watchdog.observe(obs(ON, "required"), "10.0.0.2", 1006.0)).reason == "two_in_a_row"
    # a device's own "on" wins over every device's "off": that device is silenced
    await store.run_write(lambda db: (d.declare(db, "x", ON, 1007.0, device="10.0.0.2"), hold_tracks(db, "x", CHOICE)))
    for now in range(1008, 1012):
        assert await watchdog.observe(obs(ON, "required"), "10.0.0.2", now) is None
    epochs = await store.run_read(lambda db: [row[0] for row in db.execute(
        "SELECT DISTINCT epoch FROM choice_observations ORDER BY epoch")])
    assert epochs == [0, 1, 2]


def test_declare_is_rules_data():
    from feedlens.adapters import AdapterError, compile_adapter, load_adapters
    from feedlens.choice import choice_sections
    from feedlens.paths import bundled_rules_dir
    from feedlens.yamlsrc import parse

    from .service_support import ADAPTER

    shipped = choice_sections(load_adapters([bundled_rules_dir() / "platforms"]).adapters)
    # douyin, weibo, xiaohongshu, zhihu: only a counterfactual, so only the user's word arms it
    assert shipped == {"bilibili": "optional", "bluesky": "optional", "douyin": "required",
                       "reddit": "optional", "weibo": "required", "x": "required",
                       "xiaohongshu": "required", "youtube": "optional", "zhihu": "required"}
    [rule] = compile_adapter(parse(ADAPTER.replace("choice:\n", "choice:\n  declare: required\n"), "d.yaml")).choice
    assert rule.observe({"query": {"disable_rcmd": "1"}}, {}).declare == "required"
    with pytest.raises(AdapterError, match="declare"):
        compile_adapter(parse(ADAPTER.replace("choice:\n", "choice:\n  declare: sometimes\n"), "d.yaml"))
