"""The user's declared choice (feedlens.choices.declare): stored per platform and device, a
device's own declaration wins over the one for every device, bad input refused."""

import sqlite3

import pytest

from feedlens.choices import declare as d
from feedlens.choices import schema
from feedlens.store_schema import migrate_component


@pytest.fixture
def db():
    conn = sqlite3.connect(":memory:")
    from feedlens.store_schema import migrate
    migrate(conn)
    migrate_component(conn, "choices", schema.MIGRATIONS)
    yield conn
    conn.close()


def test_device_declaration_wins_over_every_device(db):
    d.declare(db, "x", d.OFF, 10.0)
    d.declare(db, "x", d.ON, 20.0, device="10.0.0.7")
    assert d.declared(db, "x", "10.0.0.7").state == d.ON
    assert d.declared(db, "x", "10.0.0.8").state == d.OFF
    assert d.declared(db, "reddit", "10.0.0.8") is None


def test_redeclaring_replaces_and_withdraw_forgets(db):
    d.declare(db, "x", d.ON, 10.0)
    d.declare(db, "x", d.OFF, 11.0)
    assert [(x.state, x.time) for x in d.declarations(db)] == [(d.OFF, 11.0)]
    assert d.withdraw(db, "x") is True
    assert d.withdraw(db, "x") is False
    assert d.declared(db, "x", "10.0.0.7") is None


@pytest.mark.parametrize("platform, state, device", [("x", "off", "*"), ("", d.OFF, "*"), ("x", d.OFF, "")])
def test_bad_declarations_are_refused(db, platform, state, device):
    with pytest.raises(d.DeclarationError):
        d.declare(db, platform, state, 1.0, device=device)
    assert d.declarations(db) == []
