"""Start a private nginx on loopback high ports (plain + TLS) with a config written to a temp dir.

Used by the HTTP interop tests and by bench/http.py. ``upstream`` (host:port) is proxied
under /proxy/ with buffering off, which makes nginx answer with chunked transfer coding.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CONF = """
{user}daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log stderr error;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    default_type application/octet-stream;
    types {{ text/plain txt; application/json json; text/html html; }}
    keepalive_timeout 60;
    keepalive_requests 1000000;
    sendfile on;
    gzip on;
    gzip_min_length 20;
    gzip_types text/plain application/json;
    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {tmp}/www;
        location /plain/ {{ gzip off; }}
        location = /r301 {{ return 301 /hello.txt; }}
        location = /r302 {{ return 302 /hello.txt; }}
        location = /r307 {{ return 307 /proxy/anything; }}
        location = /r308 {{ return 308 /proxy/anything; }}
        location = /loop {{ return 302 /loop; }}
        location = /conn {{ add_header X-Conn $connection; add_header X-Multi one; add_header X-Multi two; return 200 "conn $connection\\n"; }}
        location = /status/418 {{ return 418 "teapot\\n"; }}
        location /proxy/ {{
            proxy_pass http://{upstream}/;
            proxy_http_version 1.1;
            proxy_buffering off;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    proc: subprocess.Popen[bytes]
    port: int
    tls_port: int
    www: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"https://127.0.0.1:{self.tls_port}"


def start_nginx(
    binary: str,
    tmp: Path,
    port: int,
    tls_port: int,
    cert: Path,
    key: Path,
    upstream: str = "127.0.0.1:9",
) -> Nginx:
    """Write the config, start nginx in the foreground and wait until both ports accept."""
    import socket

    for sub in ("www", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir(parents=True, exist_ok=True)
    conf = tmp / "nginx.conf"
    conf.write_text(
        CONF.format(
            user="user root;\n" if os.geteuid() == 0 else "",
            tmp=tmp,
            port=port,
            tls_port=tls_port,
            cert=cert,
            key=key,
            upstream=upstream,
        )
    )
    proc = subprocess.Popen(
        [binary, "-c", str(conf), "-p", str(tmp), "-e", "stderr"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 15
    for p in (port, tls_port):
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                raise RuntimeError(f"nginx exited with {proc.returncode}: {out[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", p), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    proc.kill()
                    raise TimeoutError(f"nginx did not listen on {p}") from None
                time.sleep(0.05)
    return Nginx(proc, port, tls_port, tmp / "www")


def stop_nginx(n: Nginx) -> None:
    if n.proc.poll() is None:
        n.proc.terminate()
        try:
            n.proc.wait(5)
        except subprocess.TimeoutExpired:
            n.proc.kill()
            n.proc.wait()
    if n.proc.stdout is not None:
        n.proc.stdout.close()
