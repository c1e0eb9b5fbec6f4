"""The archive: raw messages and attachments on disk, content-addressed by SHA-256.

A blob lives at `ROOT/ab/cd/<sha256>`: the path comes from the bytes only, never from a sender's
file name, so no attachment can choose where it lands (docs/design.md, invariant 5). Writes are atomic
(a temporary file in the same directory, fsync, rename, fsync of the directory): after a crash a
blob is either whole or absent, and a blob that is present is never rewritten. Everything is
readable by the owner only.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"[0-9a-f]{64}")
DIR_MODE = 0o700


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def private_dir(path: Path) -> Path:
    """Create `path` (and its parents) readable by the owner only. A directory that exists is
    left as the operator made it (it may be the current directory)."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        return path
    os.chmod(path, DIR_MODE)  # mkdir's mode went through the umask
    return path


class Archive:
    def __init__(self, root: str | os.PathLike):
        self.root = private_dir(Path(root))

    def path(self, sha: str) -> Path:
        """Where the blob `sha` lives. A value that is not a SHA-256 in lower-case hex is refused,
        so that no caller can turn a stored reference into a path outside the archive."""
        if not _SHA256.fullmatch(sha):
            raise ValueError(f"not a SHA-256 digest: {sha!r}")
        return self.root / sha[:2] / sha[2:4] / sha

    def put(self, data: bytes) -> str:
        """Store `data`; return its SHA-256. Storing the same bytes again is a no-op, unless the
        blob on disk has lost bytes (a disk error): then it is written again."""
        sha = sha256_of(data)
        target = self.path(sha)
        if target.is_file() and target.stat().st_size == len(data):
            return sha
        private_dir(target.parent.parent)
        atomic_write(private_dir(target.parent) / sha, data)
        return sha

    def get(self, sha: str) -> bytes:
        """The stored bytes; FileNotFoundError when the blob is absent."""
        return self.path(sha).read_bytes()

    def contains(self, sha: str) -> bool:
        return self.path(sha).is_file()

    def verify(self, sha: str) -> bool:
        """True when the blob is present and its bytes still hash to its name."""
        path = self.path(sha)
        if not path.is_file():
            return False
        digest = hashlib.sha256()
        with path.open("rb") as blob:
            for chunk in iter(lambda: blob.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest() == sha


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` whole or not at all: a temporary file beside it (created 0600),
    fsync, rename over the target, fsync of the directory."""
    folder = target.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX: the directory entry lives in the directory)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
