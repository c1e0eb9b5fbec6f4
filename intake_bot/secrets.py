"""Passwords and tokens: from the environment, or from a file that only its owner can read.

    INTAKE_BOT_IMAP_PASSWORD=...              the secret itself
    INTAKE_BOT_IMAP_PASSWORD_FILE=/etc/...    a file holding it (a final line break is ignored)

The variable itself wins over the file. A file that belongs to another user, or that its group
or others may read, is refused: a secret readable by others is no longer a secret, and saying so
at start-up is better than leaking it quietly. The file is opened once and checked on the open
descriptor, so it cannot be swapped between the check and the read. Error messages name the
variable, the path and the fix, never any part of the secret.
"""
from __future__ import annotations

import os
import stat

FILE_SUFFIX = "_FILE"
# A password or an OAuth2 access token is far shorter; a larger file is not one.
MAX_SECRET_BYTES = 64 * 1024


class SecretError(ValueError):
    """The secret's file cannot be used; the message says why and how to fix it."""


def read_secret(name: str) -> str | None:
    """The secret named `name` (an environment variable), else the content of the file named
    by `name`_FILE, else None."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(name + FILE_SUFFIX)
    if not path:
        return None
    return _read_private_file(name + FILE_SUFFIX, path)


def _read_private_file(variable: str, path: str) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise SecretError(f"{variable}={path}: cannot open it ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SecretError(f"{variable}={path}: not a regular file")
        if info.st_uid != os.geteuid():
            raise SecretError(f"{variable}={path}: the file belongs to another user; it must belong "
                              f"to the user that runs intake-bot and be readable by it alone")
        if info.st_mode & 0o077:
            raise SecretError(f"{variable}={path}: other users may read it (mode "
                              f"{stat.S_IMODE(info.st_mode):04o}); run `chmod 600 {path}`")
        data = os.read(fd, MAX_SECRET_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_SECRET_BYTES:
        raise SecretError(f"{variable}={path}: larger than {MAX_SECRET_BYTES // 1024} KB, not a password")
    try:
        secret = data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise SecretError(f"{variable}={path}: not UTF-8 text") from None
    if not secret:
        raise SecretError(f"{variable}={path}: the file is empty")
    return secret
