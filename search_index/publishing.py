"""The life of index versions in an index directory: build folders, publishing, rollback, pruning.

Layout of an index directory:
    current                      name of the published version (replaced atomically)
    versions/<version>/          one immutable, verified version (its files: `search_index.format`)
    .building-<version>/         a build in progress (never read by the app)
    .lock                        held by the process that is building
    history.jsonl                one line per publication or rollback (kept when versions are pruned)
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from search_index.format import FORMAT_VERSION, Manifest, StoreError, read_manifest
from search_index.reader import IndexReader
from search_index.verifier import verify_version

CURRENT_FILE = "current"
HISTORY_FILE = "history.jsonl"
VERSIONS_DIR = "versions"
KEEP_VERSIONS = 3
DEFAULT_INDEX_DIR = Path("var/index")
R = TypeVar("R", bound=IndexReader)


def new_version_name() -> str:
    """A name that sorts by build time and never repeats."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ") + "-" + secrets.token_hex(3)


def published_version(index_dir: Path) -> str | None:
    pointer = Path(index_dir) / CURRENT_FILE
    if not pointer.is_file():
        return None
    return pointer.read_text(encoding="utf-8").strip() or None


def version_dir(index_dir: Path, version: str) -> Path:
    return Path(index_dir) / VERSIONS_DIR / version


def open_version(index_dir: Path, version: str | None = None, formats: tuple[int, ...] = (FORMAT_VERSION,),
                 reader: type[R] = IndexReader) -> R:
    """A reader of the published version (or of `version`): for search, or a `rebuild.RebuildReader`."""
    version = version or published_version(index_dir)
    if not version:
        raise StoreError(f"no published index in {index_dir}: build one with `python -m indexer build`")
    return reader(version_dir(index_dir, version), formats)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One build at a time per index directory; stale half-built folders are cleared on entry."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another build is running in {index_dir}") from None
        for stale in index_dir.glob(".building-*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield


@contextmanager
def build_folder(index_dir: Path) -> Iterator[tuple[str, Path]]:
    """A new version's name and an empty folder to write it in; removed unless published."""
    version = new_version_name()
    folder = Path(index_dir) / f".building-{version}"
    folder.mkdir(parents=True)
    try:
        yield version, folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish(index_dir: Path, built: Path, keep: int = KEEP_VERSIONS) -> str:
    """Move a verified build into versions/, switch `current` to it atomically, prune beyond `keep`."""
    index_dir = Path(index_dir)
    manifest = verify_version(built)
    version = manifest.version
    target = version_dir(index_dir, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    seal(built)
    os.replace(built, target)
    _point_to(index_dir, version)
    _record(index_dir, "published", manifest)
    prune(index_dir, keep)
    return version


def seal(folder: Path) -> None:
    """Make a version's files read-only: a published version is never written again (workers map its
    files, and a file truncated under a mapping kills the worker that reads it). A later version that
    keeps the same vectors links these files rather than copying them, so they stay read-only too."""
    for path in Path(folder).iterdir():
        if path.is_file():
            path.chmod(0o444)


def _record(index_dir: Path, event: str, manifest: Manifest) -> None:
    """Add a line to the history: when, what, which version with how many pages, and what changed."""
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "event": event, "version": manifest.version,
             "pages": manifest.counts["pages"], "changes": manifest.changes}
    with open(Path(index_dir) / HISTORY_FILE, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def history(index_dir: Path, limit: int = 50) -> list[dict]:
    """The latest publications and rollbacks, newest first (a damaged line is left out)."""
    try:
        lines = (Path(index_dir) / HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    entries = []
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
        if len(entries) == limit:
            break
    return entries


def _point_to(index_dir: Path, version: str) -> None:
    """Switch `current` atomically: readers see the old name or the new one, never a partial file."""
    pointer_tmp = index_dir / f".{CURRENT_FILE}.{version}"
    pointer_tmp.write_text(version + "\n", encoding="utf-8")
    with open(pointer_tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, index_dir / CURRENT_FILE)


def versions(index_dir: Path) -> list[str]:
    """Every complete version on disk, oldest first."""
    folder = Path(index_dir) / VERSIONS_DIR
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def rollback(index_dir: Path) -> str:
    """Republish the version built before the published one."""
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        current = published_version(index_dir)
        older = [v for v in versions(index_dir) if current is None or v < current]
        if not older:
            raise StoreError(f"no earlier version to roll back to in {index_dir}")
        manifest = verify_version(version_dir(index_dir, older[-1]))
        _point_to(index_dir, older[-1])
        _record(index_dir, "rolled back to", manifest)
        return older[-1]


def newest_with_pages(index_dir: Path, on_disk: list[str]) -> str | None:
    """The newest version whose manifest counts at least one page."""
    for name in reversed(on_disk):
        try:
            if read_manifest(version_dir(index_dir, name)).counts.get("pages", 0) > 0:
                return name
        except (StoreError, AttributeError):
            continue
    return None


def prune(index_dir: Path, keep: int = KEEP_VERSIONS) -> list[str]:
    """Remove the oldest versions beyond `keep`; never the published one, the one before it, or the
    newest version that holds pages (so a run of empty versions can always be rolled back)."""
    on_disk = versions(index_dir)
    current = published_version(index_dir)
    protected = {current, newest_with_pages(index_dir, on_disk)}
    if current in on_disk and on_disk.index(current) > 0:
        protected.add(on_disk[on_disk.index(current) - 1])
    removable = [v for v in on_disk[: max(0, len(on_disk) - keep)] if v not in protected]
    for name in removable:
        shutil.rmtree(version_dir(index_dir, name), ignore_errors=True)
    return removable
