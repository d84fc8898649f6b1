"""Test helpers: paths, one HTML page builder, and building a real index of a folder."""
from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from indexer.build import BuildReport, build
from indexer.sources import FolderSource, SourcesConfig

ROOT = Path(__file__).resolve().parent.parent
CORPUS_PAGES = ROOT / "corpus" / "pages"
SHARED = Path(os.environ.get("SHARED", ROOT.parent / "shared"))


def page_html(title: str, sections: Sequence[tuple[str, str]] = (("Part", "Some useful text about the topic."),),
              canonical: str | None = None, extra: str = "") -> str:
    """A complete page: <title> and <h1>, a site header, each (heading, text) as an <h2 id> and a
    paragraph, then `extra` markup inside <main>."""
    head = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    body = "".join(f"<h2 id='{slug(heading)}'>{heading}</h2><p>{text}</p>" for heading, text in sections)
    return (f"<html><head><title>{title}</title>{head}</head><body><header><nav>Menu</nav></header>"
            f"<main><h1>{title}</h1>{body}{extra}</main></body></html>")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def write_page(folder: Path, name: str, html: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html.encode("utf-8") if isinstance(html, str) else html)
    return path


def build_folder(pages: Path, index_dir: Path, incremental: bool = False,
                 allow_hosts: frozenset[str] = frozenset(), best_bets: Path | None = None) -> BuildReport:
    """Build (or update) an index of one folder with the real models on the CPU; canonical URLs on
    `allow_hosts` are kept as the pages' original addresses; `best_bets`: the editors' file. No
    embedding cache: what a build embeds depends on the previous version alone."""
    config = SourcesConfig([FolderSource(pages)], set(allow_hosts), best_bets=best_bets)
    return build(config, index_dir, device="cpu", progress=False, incremental=incremental, embedding_cache=None)
