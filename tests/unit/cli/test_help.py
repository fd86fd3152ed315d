"""``--help`` works for every command and subcommand; the root help imports nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from wirekit.cli import COMMANDS, cli


def _walk(group: click.Group, ctx: click.Context, prefix: list[str]) -> list[list[str]]:
    paths = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, f"{' '.join([*prefix, name])} is listed but does not load"
        paths.append([*prefix, name])
        if isinstance(cmd, click.Group):
            sub_ctx = click.Context(cmd, info_name=name, parent=ctx)
            paths.extend(_walk(cmd, sub_ctx, [*prefix, name]))
    return paths


def _subtree(name: str) -> list[list[str]]:
    ctx = click.Context(cli, info_name="wirekit")
    cmd = cli.get_command(ctx, name)
    assert cmd is not None, f"{name} is listed but does not load"
    if isinstance(cmd, click.Group):
        return [[name], *_walk(cmd, click.Context(cmd, info_name=name, parent=ctx), [name])]
    return [[name]]


def test_some_commands_exist() -> None:
    names = {" ".join(p) for top in ("connect", "listen", "serve", "lab") for p in _subtree(top)}
    assert {"connect", "listen", "serve echo", "lab up", "lab tour"} <= names


@pytest.mark.parametrize("top", sorted(COMMANDS))
def test_help_of_every_subcommand(top: str) -> None:
    for path in _subtree(top):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, f"{' '.join(path)}: {result.output}"
        assert "Usage:" in result.output


def test_root_help_and_version() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0 and "lab" in result.output
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and "wirekit" in result.output


def test_root_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from wirekit.cli import main\n"
        "sys.argv=['wirekit','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('asyncio','ssl','rich','cryptography','numpy','asyncssh','aiohttp') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_config_error_exit_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wirekit.cli", "connect", "tcp:nohost"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "ConfigError" in proc.stderr and "Accepted forms" in proc.stderr


def test_ctx_exit_code_is_kept() -> None:
    import click as _click

    from wirekit.cli._errors import run_cli

    @_click.command()
    @_click.pass_context
    def exits(ctx: _click.Context) -> None:
        ctx.exit(7)

    assert run_cli(exits, []) == 7
