"""My rules through the add-on: the user's own devices get them, a device a parent assigned a
profile gets that profile as written (even when it is the active one)."""

from __future__ import annotations

from .test_addon import ids
from .test_addon_minors import flow, proxy, through  # noqa: F401  (fixture)
from .test_runtime import rules  # noqa: F401  (fixture)

HIDE_ALICE = """\
title: My rules
version: 1
rules:
  - id: hide-alice
    when: {author: Alice}
    action: hide
"""


async def test_a_device_a_parent_assigned_gets_its_profile_without_my_rules(proxy, user_rules):  # noqa: F811
    (user_rules / "my-rules.yaml").write_text(HIDE_ALICE)
    assert proxy.runtime.reload()
    await proxy.runtime.minors.set_device("user:teen", "no-ads")  # the active profile, assigned
    mum = await through(proxy, flow("mum"))
    teen = await through(proxy, flow("teen"))
    assert ids(mum.response.content) == ["v3", "v4", None]  # no-ads + My rules: Alice (v1, v5) hidden
    assert ids(teen.response.content) == ["v1", "v3", "v4", "v5", None]  # no-ads as written
