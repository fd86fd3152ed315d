"""Run the click app and turn exceptions into one message and an exit code from errors.EXIT_CODES."""

from __future__ import annotations

import os
import sys

import click

from ..errors import WirekitError, exit_code_for


def run_cli(cli: click.Command, argv: list[str] | None = None) -> int:
    """Invoke ``cli``; wirekit errors print ``error: ...`` and return their table exit code."""
    try:
        # With standalone_mode=False, click returns ctx.exit(n)'s code instead of raising.
        result = cli.main(args=argv, prog_name="wirekit", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except KeyboardInterrupt:
        return 130
    except WirekitError as exc:
        click.secho(f"error: {type(exc).__name__}: {exc}", fg="red", err=True)
        if os.environ.get("WIREKIT_DEBUG"):
            raise
        return exit_code_for(exc)
    except BrokenPipeError:
        # stdout closed by `| head`: not an error worth a traceback.
        sys.stderr.close()
        return 0
    return result if isinstance(result, int) else 0
