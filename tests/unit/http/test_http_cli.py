"""``wirekit http``: HTTPie grammar, output modes, download, exit codes (against the lab server)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wirekit.cli import cli
from wirekit.cli.http import build_call, normalise_url, parse_item, split_args
from wirekit.errors import ConfigError


@pytest.mark.parametrize(
    ("arg", "expect"),
    [
        ("X-Token:abc", ("X-Token", ":", "abc")),
        ("q==1", ("q", "==", "1")),
        ("name=wire", ("name", "=", "wire")),
        ("n:=3", ("n", ":=", "3")),
        ("doc@/tmp/x", ("doc", "@", "/tmp/x")),
        ("f=@/tmp/x", ("f", "=@", "/tmp/x")),
        ("j:=@/tmp/x", ("j", ":=@", "/tmp/x")),
        (r"a\=b=c", ("a=b", "=", "c")),
        ("url=http://x:1/", ("url", "=", "http://x:1/")),
    ],
)
def test_parse_item(arg: str, expect: tuple[str, str, str]) -> None:
    assert parse_item(arg) == expect


def test_split_args_and_urls() -> None:
    assert split_args(("POST", ":8080/x", "a=1")) == ("POST", "http://localhost:8080/x", ["a=1"])
    assert split_args(("example.org", "a=1")) == (None, "http://example.org", ["a=1"])
    assert split_args(("delete", "https://h/")) == ("DELETE", "https://h/", [])
    assert normalise_url(":/p") == "http://localhost/p"
    with pytest.raises(ConfigError):
        parse_item("no-separator")
    with pytest.raises(ConfigError):
        split_args(())


def test_build_call_json_form_files(tmp_path: Path) -> None:
    f = tmp_path / "f.txt"
    f.write_text("content")
    call = build_call(["a=1", "b:=[1,2]", "H:v", "q==2"], form=False)
    assert (
        call["json"] == {"a": "1", "b": [1, 2]}
        and call["headers"] == [("H", "v")]
        and call["params"] == [("q", "2")]
    )
    assert build_call(["a=1"], form=True)["data"] == {"a": "1"}
    up = build_call([f"doc@{f}", "k=v"], form=False)
    assert up["files"] == {"doc": ("f.txt", b"content")} and up["data"] == {"k": "v"}
    assert build_call([f"t=@{f}"], form=False)["json"] == {"t": "content"}
    with pytest.raises(ConfigError):
        build_call(["bad:={"], form=False)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["http", *args], catch_exceptions=False)


def test_get_prints_body_when_piped(http_server: Any) -> None:
    r = invoke(f"{http_server.url}/get", "q==1", "X-Hello:there")
    assert r.exit_code == 0
    body = json.loads(r.output)
    assert body["args"] == {"q": "1"} and body["headers"]["X-Hello"] == "there"


def test_post_json_verbose_shows_request(http_server: Any) -> None:
    r = invoke("-v", "POST", f"{http_server.url}/post", "name=wire", "n:=3")
    assert r.exit_code == 0
    assert "POST /post HTTP/1.1" in r.output and "HTTP/1.1 200 OK" in r.output
    assert '{"name":"wire","n":3}' in r.output


def test_json_output_and_check_status(http_server: Any) -> None:
    r = invoke("--json", f"{http_server.url}/status/418")
    data = json.loads(r.output)
    assert r.exit_code == 0 and data["status"] == 418 and data["body"] == ""
    from wirekit.cli._errors import run_cli

    assert run_cli(cli, ["http", "--check-status", f"{http_server.url}/status/404"]) == 7


def test_follow_and_headers_only(http_server: Any) -> None:
    r = invoke("--headers", f"{http_server.url}/redirect/2")
    assert r.output.startswith("HTTP/1.1 302") and "Location: /redirect/1" in r.output
    r = invoke("--json", "-F", f"{http_server.url}/redirect/2")
    data = json.loads(r.output)
    assert data["status"] == 200 and [h["status"] for h in data["history"]] == [302, 302]


def test_form_upload_and_auth(http_server: Any, tmp_path: Path) -> None:
    f = tmp_path / "up.txt"
    f.write_text("uploaded")
    r = invoke("-f", f"{http_server.url}/post", "k=v", f"doc@{f}")
    data = json.loads(r.output)
    assert data["form"] == {"k": "v"} and data["files"] == {"doc": "uploaded"}
    r = invoke("-a", "u:p", f"{http_server.url}/basic-auth/u/p")
    assert json.loads(r.output)["authenticated"] is True
    r = invoke("-A", "digest", "-a", "u:p", f"{http_server.url}/digest-auth/auth/u/p")
    assert json.loads(r.output)["authenticated"] is True
    r = invoke("-A", "bearer", "-a", "tok", f"{http_server.url}/bearer")
    assert json.loads(r.output)["token"] == "tok"


def test_download(http_server: Any, tmp_path: Path) -> None:
    target = tmp_path / "blob.bin"
    r = invoke("-d", "-o", str(target), f"{http_server.url}/bytes/200000")
    assert r.exit_code == 0 and target.stat().st_size == 200000


def test_errors_map_to_exit_codes(http_server: Any) -> None:
    r = CliRunner().invoke(cli, ["http", http_server.tls_url + "/get"])
    assert r.exit_code != 0
    from wirekit.cli._errors import run_cli

    assert run_cli(cli, ["http", http_server.tls_url + "/get"]) == 5  # TLSError
    assert run_cli(cli, ["http", "http://exa mple/"]) == 2  # ConfigError
    assert (
        run_cli(
            cli,
            ["http", "--verify", str(http_server.ctx.tls.ca_cert), http_server.tls_url + "/get"],
        )
        == 0
    )


def test_help() -> None:
    r = CliRunner().invoke(cli, ["http", "--help"])
    assert r.exit_code == 0 and "HTTPie" in r.output
    r = CliRunner().invoke(cli, ["serve", "http", "--help"])
    assert r.exit_code == 0 and "httpbin" in r.output


def test_download_with_auth(http_server: Any, tmp_path: Path) -> None:
    target = tmp_path / "auth.json"
    r = invoke("-d", "-o", str(target), "-a", "u:p", f"{http_server.url}/basic-auth/u/p")
    assert r.exit_code == 0 and json.loads(target.read_text())["authenticated"] is True


def test_serve_http_subcommand_serves() -> None:
    import re
    import subprocess
    import sys

    import wirekit.http as wh

    proc = subprocess.Popen(
        [sys.executable, "-m", "wirekit", "serve", "http", "--port", "0", "--tls-port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"serving (http://\S+) and (https://\S+) \(CA: (\S+)\)", line)
        assert match, line
        assert wh.get(match.group(1) + "/get", params={"x": "1"}).json()["args"] == {"x": "1"}
        assert wh.get(match.group(2) + "/status/201", verify=match.group(3)).status_code == 201
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stderr is not None:
            proc.stderr.close()
