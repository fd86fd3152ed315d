"""``wirekit smtp send``, ``wirekit smtp inbox ...`` and ``wirekit serve smtp``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from peerlib import free_port, wait_tcp
from wirekit.cli import cli
from wirekit.smtp.store import MaildirStore


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.mark.parametrize(
    "cmd",
    [
        ["smtp"],
        ["smtp", "send"],
        ["smtp", "inbox"],
        ["smtp", "inbox", "list"],
        ["smtp", "inbox", "show"],
        ["smtp", "inbox", "search"],
        ["smtp", "inbox", "purge"],
        ["serve", "smtp"],
    ],
)
def test_help(cmd):
    result = invoke(*cmd, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


def test_send_to_lab_and_inbox_commands(wirekit_lab_factory, tmp_path):
    svc = wirekit_lab_factory("smtp", web=False)
    att = tmp_path / "note.txt"
    att.write_text("attached")
    result = invoke(
        "smtp",
        "send",
        "--server",
        svc.endpoint,
        "--from",
        "a@x.test",
        "--to",
        "b@y.test,c@y.test",
        "--subject",
        "from cli",
        "--body",
        "cli body",
        "--attach",
        str(att),
        "-v",
        "--json",
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout[result.stdout.index("{") :])
    assert payload["accepted"] == ["b@y.test", "c@y.test"]
    assert "-> MAIL FROM:<a@x.test>" in result.stderr and "<- 250 2.0.0 OK" in result.stderr
    store = str(svc.ctx.workdir / "smtp" / "Maildir")
    out = json.loads(invoke("smtp", "inbox", "list", "--store", store, "--json").output)
    (m,) = [m for m in out if m["subject"] == "from cli"]
    assert m["attachments"] == 1
    shown = invoke("smtp", "inbox", "show", m["id"], "--store", store)
    assert "cli body" in shown.output and "note.txt" in shown.output
    raw = invoke("smtp", "inbox", "show", "last", "--raw", "--store", store)
    assert b"Subject: from cli" in raw.stdout_bytes
    assert (
        json.loads(
            invoke("smtp", "inbox", "search", "CLI BODY", "--store", store, "--json").output
        )[0]["id"]
        == m["id"]
    )
    assert (
        json.loads(invoke("smtp", "inbox", "purge", "--store", store, "--json").output)["deleted"]
        >= 1
    )
    assert json.loads(invoke("smtp", "inbox", "list", "--store", store, "--json").output) == []


def test_send_starttls_auth_with_ca(wirekit_lab_factory):
    svc = wirekit_lab_factory("smtp", web=False, store="memory")
    ca = svc.info.extra["ca"]
    result = invoke(
        "smtp",
        "send",
        "-s",
        svc.endpoint.replace("127.0.0.1", "localhost"),
        "-f",
        "a@x.test",
        "-t",
        "b@y.test",
        "--starttls",
        "--ca",
        ca,
        "--auth",
        "wirekit",
        "--password",
        "wirekit",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert len(svc.messages()) == 1
    # unknown CA: a TLS error and its exit code
    from wirekit.cli._errors import run_cli

    code = run_cli(
        cli,
        [
            "smtp",
            "send",
            "-s",
            svc.endpoint.replace("127.0.0.1", "localhost"),
            "-f",
            "a@x.test",
            "-t",
            "b@y.test",
            "--starttls",
        ],
    )
    assert code == 5


def test_inbox_missing_store_is_config_error(tmp_path):
    from wirekit.cli._errors import run_cli

    assert run_cli(cli, ["smtp", "inbox", "list", "--store", str(tmp_path / "nothing")]) == 2


def test_serve_smtp_process(tmp_path):
    port, web = free_port(), free_port()
    store = tmp_path / "mail"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "wirekit",
            "serve",
            "smtp",
            f"tcp:127.0.0.1:{port}",
            "--store",
            str(store),
            "--web",
            f"127.0.0.1:{web}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        wait_tcp(port, proc=proc)
        wait_tcp(web, proc=proc)
        result = invoke(
            "smtp",
            "send",
            "-s",
            f"127.0.0.1:{port}",
            "-f",
            "a@x.test",
            "-t",
            "b@y.test",
            "--subject",
            "served",
        )
        assert result.exit_code == 0, result.output
        deadline = time.monotonic() + 10
        while not MaildirStore(store).list() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(MaildirStore(store).list()) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        if proc.stdout:
            proc.stdout.close()
    assert proc.returncode == 0
