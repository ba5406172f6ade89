"""The counterfactual check's options: off by default, for `feedlens run` (--counterfactual,
--counterfactual-interval) and for plain mitmproxy (feedlens_counterfactual,
feedlens_counterfactual_interval); an interval under a minute is refused."""

from __future__ import annotations

import argparse

import pytest
from mitmproxy import exceptions

from feedlens.run import _options, add_run_parser

from .test_addon import addon  # noqa: F401  (fixture)
from .test_runtime import rules  # noqa: F401  (fixture)


def run_options(tmp_path, *flags) -> dict:
    parser = argparse.ArgumentParser()
    add_run_parser(parser.add_subparsers())
    return _options(parser.parse_args(["run", *flags]), tmp_path)[1]


def test_feedlens_run_is_off_by_default_and_the_flags_turn_it_on(tmp_path):
    ours = run_options(tmp_path)
    assert (ours["feedlens_counterfactual"], ours["feedlens_counterfactual_interval"]) == (False, 1800)
    ours = run_options(tmp_path, "--counterfactual", "--counterfactual-interval", "600")
    assert (ours["feedlens_counterfactual"], ours["feedlens_counterfactual_interval"]) == (True, 600)


def test_feedlens_run_help_names_the_flags():
    parser = argparse.ArgumentParser()
    run = add_run_parser(parser.add_subparsers())
    text = run.format_help()
    assert "--counterfactual " in text and "--counterfactual-interval SECONDS" in text


def test_the_mitmproxy_options_parse_into_config(addon):  # noqa: F811
    assert addon.config.counterfactual is False and addon.config.counterfactual_interval == 1800
    addon.tctx.configure(addon, feedlens_counterfactual=True, feedlens_counterfactual_interval=120)
    assert addon.config.counterfactual is True and addon.config.counterfactual_interval == 120


def test_an_interval_under_a_minute_is_refused(addon):  # noqa: F811
    with pytest.raises(exceptions.OptionsError, match="at least 60"):
        addon.tctx.configure(addon, feedlens_counterfactual_interval=59)
