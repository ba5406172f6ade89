"""Feature sections (`limits:`, `report:`) come through the schema registry, and a locked minor
profile that breaks on disk keeps its previous limits in force, with the line named in health."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from feedlens import features, schema_parts
from feedlens.adapters import AdapterError, compile_adapter
from feedlens.engine import Request
from feedlens.minors.policy import Limits
from feedlens.classifier import ResponseClassifier
from feedlens.offload import Offload, encode
from feedlens.profiles import ProfileError, load_profile_text
from feedlens.runtime import Config, Runtime
from feedlens.service import ServiceConfig, init_app
from feedlens.yamlsrc import parse
from tests.service_support import write_rules

from .conftest import DATA, ROOT
from .test_profile_strict import KID

pytestmark = pytest.mark.filterwarnings("error")

KID_LIMITS = Limits(daily_minutes=60, curfew=(21 * 60, 7 * 60))
REPORT = 'report: {manual_url: "https://example.org/report"}\n'


@pytest.fixture
def no_features(monkeypatch):
    """The core alone: nothing registered."""
    saved = schema_parts.replace_all({})
    yield
    schema_parts.replace_all(saved)


def test_without_the_minors_feature_limits_is_an_unknown_key(no_features):
    with pytest.raises(ProfileError) as caught:
        load_profile_text(KID, "kid.yaml")
    assert caught.value.messages == ["kid.yaml:5: (top level): unknown key 'limits'"]
    features.install()
    assert load_profile_text(KID, "kid.yaml").raw["limits"]["daily_minutes"] == 60


def test_without_the_reports_feature_report_is_an_unknown_key(no_features):
    text = (DATA / "demo.yaml").read_text() + REPORT
    with pytest.raises(AdapterError, match=r"unknown key 'report'"):
        compile_adapter(parse(text, "demo.yaml"))
    features.install()
    assert compile_adapter(parse(text, "demo.yaml")).report["manual_url"].startswith("https://")


def test_install_is_idempotent_and_a_clashing_registration_is_refused():
    features.install()
    features.install()
    assert set(schema_parts.parts("profile")) == {"limits"}
    with pytest.raises(ValueError, match="already registered"):
        schema_parts.register_profile_part("limits", {"type": "object"})


def test_core_modules_import_no_feature():
    env = dict(os.environ)
    code = ("import sys, feedlens.schema, feedlens.profiles, feedlens.adapters; "
            "print(sorted(m for m in sys.modules if m.startswith(('feedlens.minors', "
            "'feedlens.reports'))))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ---- a locked minor profile that breaks on disk --------------------------------------------

@pytest.fixture
async def kid_service(aiohttp_client, tmp_path):
    rules = write_rules(tmp_path / "rules")
    (rules / "profiles" / "minor-kid.yaml").write_text(KID)
    (rules / "profiles" / "minor-teen.yaml").write_text(KID)
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, profile="minor-kid"))
    client = await aiohttp_client(init_app(ServiceConfig(runtime, manage_runtime=True)))
    token = (tmp_path / "data" / "token").read_text().strip()
    return client, runtime, {"Authorization": f"Bearer {token}"}, rules / "profiles"


CHANGED_ON_DISK = ("the file of locked profile '{}' was changed on disk; its stored copy stays in "
                   "force until a parent confirms the file with the PIN")


async def test_a_locked_minor_profile_with_a_typo_keeps_its_limits(kid_service):
    client, runtime, auth, profiles = kid_service
    assert runtime.profile.locked and runtime.limits_for(None) == KID_LIMITS
    path = profiles / "minor-kid.yaml"
    path.write_text(KID.replace("limits:", "limit:"))
    assert runtime.reload() is False
    assert runtime.limits_for(None) == KID_LIMITS and runtime.profile.locked
    health = await (await client.get("/api/health", headers=auth)).json()
    # a locked profile's file changed on disk: its stored copy stays until the PIN confirms it
    assert health["profile"]["errors"] == [CHANGED_ON_DISK.format("minor-kid")]


async def test_a_devices_locked_profile_with_a_typo_keeps_its_limits(kid_service):
    client, runtime, auth, profiles = kid_service
    assert runtime.limits_for("minor-teen") == KID_LIMITS  # loaded once, as a device would
    path = profiles / "minor-teen.yaml"
    path.write_text(KID.replace("limits:", "limit:"))
    runtime.reload()
    assert runtime.limits_for("minor-teen") == KID_LIMITS
    health = await (await client.get("/api/health", headers=auth)).json()
    assert CHANGED_ON_DISK.format("minor-teen") in health["device_profile_errors"]["minor-teen"]


async def test_a_curfew_of_no_length_on_disk_keeps_the_previous_limits(kid_service):
    client, runtime, auth, profiles = kid_service
    path = profiles / "minor-kid.yaml"
    path.write_text(KID.replace('to: "07:00"', 'to: "21:00"'))
    assert runtime.reload() is False
    assert runtime.limits_for(None) == KID_LIMITS
    health = await (await client.get("/api/health", headers=auth)).json()
    assert health["profile"]["errors"][0] == CHANGED_ON_DISK.format("minor-kid")


# ---- worker processes (spawn) register the same sections -----------------------------------

async def test_a_worker_process_compiles_limits_and_report_sections(tmp_path):
    rules = tmp_path / "rules"
    (rules / "platforms").mkdir(parents=True)
    (rules / "profiles").mkdir()
    (rules / "platforms" / "demo.yaml").write_text((DATA / "demo.yaml").read_text() + REPORT)
    (rules / "profiles" / "minor-kid.yaml").write_text(KID)
    runtime = Runtime(Config(data_dir=tmp_path / "data", rules_dir=rules, profile="minor-kid"))
    request = Request("GET", "https://api.demo.test/feed/home")
    body = encode((DATA / "demo_home.json").read_bytes(), "br")
    offload = Offload(workers=1, setup=features.install)  # as the add-on's pool does
    try:
        inline = ResponseClassifier(runtime.engine).process_sent(request, body, "br", "application/json")
        remote = await offload.transform(runtime.engine_spec, request, body, "br", "application/json")
    finally:
        offload.close()
        await runtime.close()
    assert "hide" in [i.decision for i in inline[0].items]  # the profile's rule applies
    assert [i.decision for i in remote[0].items] == [i.decision for i in inline[0].items]
