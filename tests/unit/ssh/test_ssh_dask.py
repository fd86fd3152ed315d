"""Dask scale-out: run_many(engine="dask") over a LocalCluster (2 in-process workers) against SSHServer."""

from __future__ import annotations

import pytest

from wirekit.errors import ConfigError, ConnectError
from wirekit.ssh import run_many

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def dask_client():
    # processes=False: two worker threads in this process; process workers take seconds to spawn
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_shards_keep_order_and_every_row(ssh_env, dask_client):
    from peerlib import free_port

    hosts = [ssh_env.target] * 9 + [f"wk@127.0.0.1:{free_port()}"]
    seen: list[int] = []
    res = run_many(
        hosts,
        "echo $USER",
        engine="dask",
        scheduler=dask_client,
        shards=3,
        on_result=lambda r: seen.append(r.index),
        **ssh_env.opts(),
    )
    assert [r.index for r in res] == list(range(10))
    assert sorted(seen) == list(range(10))
    assert res.summary.ok == 9 and res.summary.unreachable == 1
    assert all(r.stdout == "wk\n" for r in res.results[:9])
    assert isinstance(res[9].error, ConnectError) and "127.0.0.1" in str(res[9].error)


def test_dask_by_address_and_check(ssh_env, dask_client):
    addr = dask_client.scheduler.address
    res = run_many([ssh_env.target] * 4, "true", engine="dask", scheduler=addr, **ssh_env.opts())
    assert res.summary.ok == 4
    with pytest.raises(ExceptionGroup):
        run_many(
            [ssh_env.target] * 2,
            "exit 9",
            engine="dask",
            scheduler=dask_client,
            check=True,
            **ssh_env.opts(),
        )


def test_dask_needs_scheduler_and_no_line_callbacks(ssh_env, dask_client):
    with pytest.raises(ConfigError):
        run_many([ssh_env.target], "true", engine="dask", **ssh_env.opts())
    with pytest.raises(ConfigError):
        run_many(
            [ssh_env.target],
            "true",
            engine="dask",
            scheduler=dask_client,
            on_line=print,
            **ssh_env.opts(),
        )


def test_cli_run_dask(ssh_env, dask_client):
    import json

    from click.testing import CliRunner

    from wirekit.cli import cli

    r = CliRunner(env={"WK_TEST_PW": ssh_env.password}).invoke(
        cli,
        [
            "ssh",
            "run",
            "-H",
            ",".join([ssh_env.target] * 3),
            "--known-hosts",
            str(ssh_env.known_hosts),
            "-F",
            "none",
            "--no-agent",
            "--password-env",
            "WK_TEST_PW",
            "--dask",
            dask_client.scheduler.address,
            "--json",
            "--",
            "echo",
            "d",
        ],
    )
    assert r.exit_code == 0, r.output
    assert [x["stdout"] for x in json.loads(r.output)["results"]] == ["d\n"] * 3
