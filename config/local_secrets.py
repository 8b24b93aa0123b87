"""The secrets of one installation: Django's SECRET_KEY, the payment gateway's shared secret,
the encryption key for ID numbers and the key of their blind index.

Each comes from its environment variable when set. Outside production the ones not set come
from `var/secrets.json`, which the first run fills with random values and creates readable
only by its owner (mode 0600), so that `make run` needs no setup and still shares no secret
with anyone who has read the source. Production takes them only from the environment and
refuses to start when one is missing or is a value that was once printed in the source.

This module is read by config/settings.py before Django is set up: the standard library only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import secrets
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

FILE_NAME = "secrets.json"


def _token() -> str:
    return secrets.token_urlsafe(48)


def _fernet_key() -> str:
    """A Fernet key: 32 random bytes, URL-safe base64 (cryptography's Fernet.generate_key)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


# Environment variable -> how a new value is made. The four are made independently of each
# other: no key is derived from another, so none follows from a value someone else knows.
GENERATORS: dict[str, Callable[[], str]] = {
    "DJANGO_SECRET_KEY": _token,
    "GUANJIA_GATEWAY_SECRET": _token,
    "GUANJIA_FIELD_KEYS": _fernet_key,
    "GUANJIA_FIELD_INDEX_KEY": _token,
}

# Values that were printed in this project's source at one time (the old development
# defaults). Anyone can read them, so no setting accepts them, in production or not.
PUBLIC_VALUES = frozenset({"dev-only-not-secret-guanjia-key", "guanjia-development-gateway-secret"})


class SecretsError(RuntimeError):
    """A secret is missing, public or unreadable: the process must not start."""


def generate() -> dict[str, str]:
    return {name: make() for name, make in GENERATORS.items()}


def is_public(value: str) -> bool:
    # Django's startproject writes keys that begin with this and are meant to be replaced.
    return value in PUBLIC_VALUES or value.startswith("django-insecure-")


def settings_secrets(environ: Mapping[str, str], var_dir: Path, *, production: bool) -> dict[str, str]:
    """Every secret by its environment variable's name: from the environment, else (outside
    production) from var/secrets.json, made on the first run."""
    given = {name: environ.get(name, "").strip() for name in GENERATORS}
    public = [name for name, value in given.items() if value and is_public(value)]
    if public:
        raise SecretsError(
            f"{', '.join(public)}: this value is printed in public source code; set a random one "
            "(or unset it outside production to use var/secrets.json)."
        )
    if production:
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise SecretsError(f"{', '.join(missing)} must be set in production (see docs/deploy.md).")
        values = given
    elif all(given.values()):
        values = given
    else:
        stored = read_or_create(var_dir)
        values = {name: given[name] or stored[name] for name in GENERATORS}
    check_field_keys(values["GUANJIA_FIELD_KEYS"])
    return values


def read_or_create(var_dir: Path) -> dict[str, str]:
    """The secrets stored in var_dir, made at random on the first call."""
    path = var_dir / FILE_NAME
    try:
        return read(path)
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    publish(path, generate())
    return read(path)


def publish(path: Path, values: dict[str, str]) -> None:
    """Write values to path unless another process got there first (then theirs stand).

    The file is whole and owner-only from its first moment: its content goes into a new file
    of this process, created with O_EXCL and mode 0600 (never a moment with wider rights),
    and is then hard-linked to its name, which fails if the name exists. So gunicorn's workers
    and the job worker starting together never read a half-written file or two sets of keys."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(values, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):  # another process published first: theirs stand
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read(path: Path) -> dict[str, str]:
    descriptor = os.open(path, os.O_RDONLY)
    with os.fdopen(descriptor, encoding="utf-8") as file:
        mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
        if mode & 0o077:
            raise SecretsError(f"{path} can be read by other users (mode {mode:o}); run: chmod 600 {path}")
        try:
            values = json.load(file)
        except ValueError as error:
            raise SecretsError(f"{path} is not readable JSON ({error}); restore it from a backup.") from None
    missing = [name for name in GENERATORS if not isinstance(values.get(name), str) or not values[name]]
    if missing:
        raise SecretsError(
            f"{path} lacks {', '.join(missing)}; add them (or set them in the environment). "
            "Do not delete the file while the database holds ID numbers encrypted with its key."
        )
    return {name: values[name] for name in GENERATORS}


def check_field_keys(value: str) -> None:
    """Each comma-separated field key must be a Fernet key (32 bytes, URL-safe base64)."""
    for number, key in enumerate((k for k in value.split(",") if k), start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise SecretsError(
                f"GUANJIA_FIELD_KEYS: key {number} is not a Fernet key (32 bytes in URL-safe base64); "
                'make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            )
