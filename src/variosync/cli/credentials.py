"""Where the CLI's commands go: the server a home folder is signed in to, kept in
``$VARIOSYNC_HOME/remote.json`` (mode 0600: the API key in it is readable by its owner only)."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from variosync.errors import ConfigError, UsageError

CREDENTIALS_FILE = "remote.json"
API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Credentials:
    """Where commands go: a server's base URL, the API key that signs them, and who it is."""

    url: str
    api_key: str
    email: str
    key_id: str | None = None
    """Set when ``login`` created the key (``logout`` then revokes it)."""

    def __repr__(self) -> str:  # never show the key
        return f"Credentials(url={self.url!r}, email={self.email!r})"


def credentials_path(home: Path) -> Path:
    """The credentials file of a home folder."""
    return home / CREDENTIALS_FILE


def load_credentials(home: Path) -> Credentials | None:
    """The stored credentials of ``home``, or None when it is not signed in to a server."""
    path = credentials_path(home)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(
            url=str(data["url"]),
            api_key=str(data["api_key"]),
            email=str(data.get("email", "")),
            key_id=data.get("key_id"),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"cannot read the credentials file {path} ({type(exc).__name__})",
            hint="sign in again with: variosync login URL (or delete the file)",
        ) from None


def save_credentials(home: Path, credentials: Credentials) -> Path:
    """Write the credentials file, readable by its owner only, replacing any earlier one."""
    home.mkdir(parents=True, exist_ok=True)
    path = credentials_path(home)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
    # Created 0600 from the start: the key is never readable by others, not even briefly.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(credentials), handle, indent=2)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def base_url(url: str) -> str:
    """A server address as typed (``host:8000``, ``http://host/``, ``…/api/v1``) made canonical."""
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    parsed = urlsplit(url)
    try:
        valid = parsed.scheme in ("http", "https") and bool(parsed.hostname) and parsed.port != 0
    except ValueError:  # a port that is not a number
        valid = False
    if not valid or parsed.query or parsed.fragment:
        raise UsageError(f"not a server address: {url!r}", hint="e.g. https://variosync.example")
    return url.rstrip("/").removesuffix(API_PREFIX).rstrip("/")
