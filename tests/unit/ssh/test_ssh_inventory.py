"""Inventory parsing (user@host:port lines, line numbers on errors) and ssh_config aliases."""

from __future__ import annotations

import pytest

from wirekit.errors import ConfigError
from wirekit.ssh.config import SSHConfig
from wirekit.ssh.inventory import (
    Target,
    from_ssh_config,
    load_inventory,
    parse_inventory,
    parse_target,
    targets,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("h", Target("h")),
        ("u@h", Target("h", None, "u")),
        ("u@h:2222", Target("h", 2222, "u")),
        ("h.example.org:22", Target("h.example.org", 22)),
        ("[::1]:2200", Target("::1", 2200)),
        ("u@[fe80::1]", Target("fe80::1", None, "u")),
        ("::1", Target("::1")),
        ("a.b@c@host", Target("host", None, "a.b@c")),
    ],
)
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize(
    "bad", ["", "h:0", "h:70000", "h:x", "@h", "[::1", "[::1]x", "bad host", "h/x"]
)
def test_parse_target_rejects(bad):
    with pytest.raises(ConfigError):
        parse_target(bad)


def test_label_round_trips():
    for s in ["u@h:2222", "h", "u@[::1]:22"]:
        assert parse_target(s).label == s


def test_inventory_skips_comments_keeps_duplicates():
    ts = parse_inventory("# fleet\nweb1\n\nroot@web1:22  # same host again\nweb1\n")
    assert [t.label for t in ts] == ["web1", "root@web1:22", "web1"]


def test_inventory_bad_line_reports_line_number(tmp_path):
    f = tmp_path / "hosts.txt"
    f.write_text("ok1\nok2:22\n\nbroken:port\nok3\n")
    with pytest.raises(ConfigError) as ei:
        load_inventory(f)
    assert f"{f}:4:" in str(ei.value) and "broken:port" in str(ei.value)


def test_inventory_missing_file():
    with pytest.raises(ConfigError):
        load_inventory("/nonexistent/hosts.txt")


CONFIG = """\
# comment
Host web*
    User deploy
    Port 2200
Host web1
    HostName 10.0.0.1
    User ignored-because-first-wins
    IdentityFile ~/.ssh/%h_key
Host jumped
    HostName 10.0.0.9
    ProxyJump bastion@jump.example:2222
Host *.internal !secret.internal
    User ops
Host *
    IdentityFile ~/.ssh/id_default
"""


def test_ssh_config_first_value_wins_and_identity_accumulates():
    cfg = SSHConfig.parse(CONFIG)
    web1 = cfg.lookup("web1")
    assert (web1.hostname, web1.user, web1.port) == ("10.0.0.1", "deploy", 2200)
    assert web1.identity_files[0].endswith("/.ssh/10.0.0.1_key")
    assert web1.identity_files[1].endswith("/.ssh/id_default")
    assert cfg.lookup("jumped").proxy_jump == "bastion@jump.example:2222"
    assert cfg.lookup("a.internal").user == "ops"
    assert cfg.lookup("secret.internal").user is None
    assert cfg.aliases() == ["web1", "jumped"]


def test_ssh_config_equals_syntax_and_bad_port():
    assert SSHConfig.parse("Host x\n  Port=2022\n").lookup("x").port == 2022
    with pytest.raises(ConfigError) as ei:
        SSHConfig.parse("Host x\n  Port abc\n", source="cfg")
    assert "cfg:2" in str(ei.value)


def test_ssh_config_include(tmp_path):
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "conf.d" / "a.conf").write_text("Host inc\n  HostName 1.2.3.4\n")
    main = tmp_path / "config"
    main.write_text(f"Include {tmp_path}/conf.d/*.conf\nHost other\n  Port 1\n")
    cfg = SSHConfig.load(main)
    assert cfg.lookup("inc").hostname == "1.2.3.4"
    assert set(cfg.aliases()) == {"inc", "other"}


def test_inventory_from_ssh_config(tmp_path):
    f = tmp_path / "config"
    f.write_text(CONFIG)
    ts = from_ssh_config(f)
    assert [(t.alias, t.host, t.port, t.user) for t in ts] == [
        ("web1", "10.0.0.1", 2200, "deploy"),
        ("jumped", "10.0.0.9", None, None),
    ]
    assert ts[1].proxy_jump == "bastion@jump.example:2222"


def test_targets_comma_string_and_explicit_values_win():
    cfg = SSHConfig.parse(CONFIG)
    ts = targets("web1, root@web1:99", config=cfg)
    assert (ts[0].host, ts[0].user, ts[0].port) == ("10.0.0.1", "deploy", 2200)
    assert (ts[1].host, ts[1].user, ts[1].port) == ("10.0.0.1", "root", 99)
    with pytest.raises(ConfigError) as ei:
        targets(["ok", "bad:port"])
    assert "host #1" in str(ei.value)
