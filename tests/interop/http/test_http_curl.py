"""curl against wirekit's lab HTTP server: the same status codes and bodies as the wirekit client gets."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wirekit.http as wh
from peerlib import require_tool
from wirekit.lab.core import LabThread

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def lab() -> Iterator[Any]:
    with LabThread(["http"]) as lab:
        yield lab.services["http"]


def curl(args: list[str], tmp: Path) -> tuple[int, bytes]:
    out = tmp / "body"
    done = subprocess.run(
        [
            require_tool("curl"),
            "-sS",
            "--noproxy",
            "*",
            "-o",
            str(out),
            "-w",
            "%{http_code}",
            "--max-time",
            "20",
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout), out.read_bytes()


ROUTES = [
    ("/bytes/5000?seed=7", []),
    ("/stream-bytes/300000?seed=3", []),
    ("/json", []),
    ("/html", []),
    ("/encoding/utf8", []),
    ("/status/418", []),
    ("/status/204", []),
    ("/redirect-to?url=/json", ["-L"]),
    ("/redirect/3", []),
    ("/basic-auth/alice/s3cret", ["-u", "alice:s3cret"]),
    ("/basic-auth/alice/s3cret", ["-u", "alice:wrong"]),
    ("/bearer", ["-H", "Authorization: Bearer tok"]),
]


@pytest.mark.parametrize(("path", "args"), ROUTES)
def test_curl_and_wirekit_agree(lab: Any, tmp_path: Path, path: str, args: list[str]) -> None:
    status, body = curl([*args, lab.url + path], tmp_path)
    auth = None
    headers = {}
    if "-u" in args:
        auth = tuple(args[args.index("-u") + 1].split(":", 1))
    if "-H" in args:
        k, v = args[args.index("-H") + 1].split(": ", 1)
        headers[k] = v
    with wh.Client(retries=0, follow_redirects="-L" in args) as c:
        r = c.get(lab.url + path, auth=auth, headers=headers)
    assert (r.status_code, r.content) == (status, body)


def test_curl_tls_with_lab_ca(lab: Any, tmp_path: Path) -> None:
    ca = str(lab.ctx.tls.ca_cert)
    status, body = curl(["--cacert", ca, lab.tls_url + "/bytes/2048?seed=1"], tmp_path)
    with wh.Client(verify=ca) as c:
        r = c.get(lab.tls_url + "/bytes/2048?seed=1")
    assert (r.status_code, r.content) == (status, body) == (200, body)
    done = subprocess.run(
        [require_tool("curl"), "-sS", "--noproxy", "*", "-o", "/dev/null", lab.tls_url + "/get"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 60  # curl, like wirekit, refuses the unknown CA


def test_curl_compressed_matches_decoded(lab: Any, tmp_path: Path) -> None:
    status, body = curl(["--compressed", "-H", "User-Agent: same", lab.url + "/gzip"], tmp_path)
    with wh.Client(
        headers={"User-Agent": "same", "Accept-Encoding": "deflate, gzip, br, zstd"}
    ) as c:
        r = c.get(lab.url + "/gzip")
    assert status == r.status_code == 200
    mine, theirs = r.json(), __import__("json").loads(body)
    assert (
        mine["gzipped"] is theirs["gzipped"] is True
        and mine["headers"]["User-Agent"] == theirs["headers"]["User-Agent"]
    )


def test_curl_post_json_and_form(lab: Any, tmp_path: Path) -> None:
    status, body = curl(
        ["-H", "Content-Type: application/json", "--data-binary", '{"a":1}', lab.url + "/post"],
        tmp_path,
    )
    import json

    with wh.Client() as c:
        r = c.post(lab.url + "/post", json={"a": 1})
    assert status == r.status_code == 200 and json.loads(body)["json"] == r.json()["json"] == {
        "a": 1
    }
    status, body = curl(["-F", "k=v", lab.url + "/post"], tmp_path)
    with wh.Client() as c:
        r = c.post(lab.url + "/post", files={"k": (None, b"v")})
    assert json.loads(body)["form"] == r.json()["form"] == {"k": "v"}
