"""Virtual filesystem confinement: map a user's FTP paths onto their root and never leave it.

Every client path is resolved against the session's virtual working directory, normalised
component by component (a ``..`` above the root is refused, not clamped), then mapped under
the user's real root; the real path (after following symlinks) must still be inside the root.
NUL bytes are refused outright. Absolute client paths are virtual: ``/etc`` is ``ROOT/etc``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import FTPReplyError

__all__ = ["VirtualFS"]


class VirtualFS:
    """The filesystem one user sees: ``/`` is ``root`` on disk."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.realpath(root))
        self._root_s = str(self.root)
        self._prefix = self._root_s.rstrip(os.sep) + os.sep

    def normalize(self, cwd: str, arg: str) -> str:
        """The virtual absolute path of ``arg`` seen from ``cwd``.

        Raises:
            FTPReplyError: 550 for NUL bytes or a ``..`` that climbs above ``/``.
        """
        if "\x00" in arg:
            raise FTPReplyError(550, "NUL byte in path refused.")
        base = [] if arg.startswith("/") else [p for p in cwd.split("/") if p]
        for part in arg.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not base:
                    raise FTPReplyError(550, "Path escapes the root; refused.")
                base.pop()
            else:
                base.append(part)
        return "/" + "/".join(base)

    def real(self, vpath: str) -> Path:
        """The on-disk path of a normalised virtual path, checked to stay inside the root.

        Raises:
            FTPReplyError: 550 when symlinks lead outside the root.
        """
        real = os.path.join(self._root_s, vpath.lstrip("/")) if vpath != "/" else self._root_s
        resolved = os.path.realpath(real)
        if resolved != self._root_s and not resolved.startswith(self._prefix):
            raise FTPReplyError(550, "Path leads outside the root; refused.")
        return Path(real)

    def resolve(self, cwd: str, arg: str) -> tuple[str, Path]:
        """``(virtual path, real path)`` of ``arg`` seen from ``cwd``.

        Raises:
            FTPReplyError: 550 on any escape (``..``, symlink, NUL).
        """
        vpath = self.normalize(cwd, arg)
        return vpath, self.real(vpath)

    def inside(self, path: str | os.PathLike[str]) -> bool:
        """Whether a real path (symlinks followed) is inside the root."""
        resolved = os.path.realpath(path)
        return resolved == self._root_s or resolved.startswith(self._prefix)
