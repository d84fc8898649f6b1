"""Which URLs a site may use: origins (scheme, host and port) on an allow-list, and nothing else."""
from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def origin(url: str) -> str | None:
    """"scheme://host:port" of an absolute http(s) URL, or None for anything else: another scheme, no
    host, a user name or password in it, white space or control characters anywhere."""
    if not isinstance(url, str) or UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    return f"{scheme}://{parts.hostname.lower()}:{port or DEFAULT_PORTS[scheme]}"


def allowed_origins(entries: Iterable[str]) -> frozenset[str]:
    """Origins from allow-list entries: a bare host ("www.example.org") allows it over http and https
    on their default ports; a URL ("http://127.0.0.1:8080") allows exactly its origin."""
    found = set()
    for entry in entries:
        entry = entry.strip()
        if "://" in entry:
            key = origin(entry)
            if key:
                found.add(key)
        elif entry:
            found.update(origin(f"{scheme}://{entry}") or "" for scheme in DEFAULT_PORTS)
    return frozenset(found - {""})


def is_allowed(url: str, origins: frozenset[str]) -> bool:
    key = origin(url)
    return key is not None and key in origins
