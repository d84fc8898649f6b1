"""Command line: `python -m indexer build|update|rollback|export-onnx|check-best-bets|stats`."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from pathlib import Path

from indexer import embedding, onnx_export
from indexer.build import DEFAULT_EMBEDDING_CACHE, build
from indexer.chunking import ChunkConfig
from indexer.sources import DEFAULT_BASE_URL, SOURCES_FILE, FolderSource, SourcesConfig, WebSource, load_sources_file
from search_index import models, publishing
from search_index.best_bets import Curation, load_best_bets
from search_index.curation_store import CurationStore
from search_index.database import ERRORS as DATABASE_ERRORS
from search_index.database import describe, open_database
from search_index.errors import CuratedSearchError
from search_index.reader import IndexReader, stats
from search_index.targets import lost_targets, target_passage


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m indexer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("build", "index folders of HTML pages and publish a new version"),
                            ("update", "re-index only new and changed pages, drop removed ones, publish")):
        b = commands.add_parser(name, help=help_text)
        b.add_argument("--source", action="append", default=[], type=Path, help="folder of HTML pages (repeatable)")
        b.add_argument("--sitemap", action="append", default=[], help="sitemap URL of a live site (repeatable)")
        b.add_argument("--url-list", action="append", default=[], type=Path, help="file of page URLs (repeatable)")
        b.add_argument("--allow-host", action="append", default=[], help="extra host crawling may visit")
        b.add_argument("--sources", type=Path, default=SOURCES_FILE,
                       help=f"sources file used when no source is given (default {SOURCES_FILE})")
        b.add_argument("--synonyms", type=Path, help="synonym list (default: the sources file's)")
        b.add_argument("--best-bets", type=Path, help="best bets and hidden pages (default: the sources file's)")
        b.add_argument("--index-dir", type=Path, default=publishing.DEFAULT_INDEX_DIR)
        b.add_argument("--base-url", default=DEFAULT_BASE_URL, help="URL prefix for pages without a canonical link")
        b.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda when available")
        b.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="PyTorch threads on the CPU")
        b.add_argument("--max-tokens", type=int, default=ChunkConfig.max_tokens, help="passage window incl. title")
        b.add_argument("--overlap-tokens", type=int, default=ChunkConfig.overlap_tokens)
        b.add_argument("--keep", type=int, default=publishing.KEEP_VERSIONS,
                       help="versions kept on disk (the published one and the one before it always are)")
        b.add_argument("--allow-shrink", action="store_true",
                       help="accept a sitemap or URL list that names far fewer pages than before (removes them)")
        b.add_argument("--embedding-cache", type=Path, default=DEFAULT_EMBEDDING_CACHE,
                       help="vectors already computed on this machine, shared by every build")
        b.add_argument("--no-embedding-cache", dest="embedding_cache", action="store_const", const=None,
                       help="embed every text not in the published version")
        b.add_argument("--json", action="store_true", help="print the report as JSON")
        b.add_argument("--record", default=os.environ.get("DATABASE_URL") or os.environ.get("QUERY_LOG"),
                       help="the app's record (DATABASE_URL or the QUERY_LOG file; default: from the environment): "
                            "its live curation is checked against the new version")
    r = commands.add_parser("rollback", help="republish the version built before the published one")
    r.add_argument("--index-dir", type=Path, default=publishing.DEFAULT_INDEX_DIR)
    e = commands.add_parser("export-onnx", help="export the model for the app's query encoder (checked against it)")
    e.add_argument("--cache", type=Path, default=models.MODEL_CACHE, help="the app's MODEL_CACHE")
    c = commands.add_parser("check-best-bets", help="list each best bet and hidden page and what it resolves to")
    c.add_argument("--index-dir", type=Path, default=publishing.DEFAULT_INDEX_DIR)
    c.add_argument("--file", type=Path, help="check this best bets file against the published version "
                                             "(default: the best bets stored with it)")
    s = commands.add_parser("stats", help="describe the published version")
    s.add_argument("--index-dir", type=Path, default=publishing.DEFAULT_INDEX_DIR)
    s.add_argument("--json", action="store_true")
    return parser.parse_args(argv)


def sources_from(args: argparse.Namespace) -> SourcesConfig:
    """Sources named on the command line, else those of the sources file."""
    named = [FolderSource(folder, args.base_url) for folder in args.source]
    named += [WebSource(sitemap=url) for url in args.sitemap]
    named += [WebSource(url_list=path) for path in args.url_list]
    if named:
        return SourcesConfig(named, set(args.allow_host), synonyms=args.synonyms, best_bets=args.best_bets,
                             allow_shrink=args.allow_shrink)
    config = load_sources_file(args.sources)
    config.allow_hosts.update(args.allow_host)
    config.synonyms = args.synonyms or config.synonyms
    config.best_bets = args.best_bets or config.best_bets
    config.allow_shrink = args.allow_shrink
    return config


def print_build(report: dict) -> None:
    if report["published"]:
        print(f"published version {report['version']}")
    else:
        print(f"nothing changed: version {report['version']} stays published")
    for key in ("pages", "sections", "passages", "unchanged", "read_again", "embedded", "reused", "seconds",
                "peak_memory_mb", "vector_index"):
        print(f"  {key.replace('_', ' ')}: {report[key]}")
    print(f"  index size: {report['size_bytes'] / 1e6:.1f} MB")
    for key, model in report["models"].items():
        print(f"  {key}: {model['embedded']} texts embedded in {model['seconds']} s ({model['texts_per_second']}/s, "
              f"embedding alone), {model['reused']} reused ({model['cached']} of them from the embedding cache)")
    for key in ("added", "changed", "removed"):
        print(f"  pages {key}: {len(report[key])}")
        for path in report[key]:
            print(f"    {path}")
    for key, label in (("skipped", "pages skipped"), ("notes", "ignored in pages")):
        print(f"  {label}: {len(report[key])}")
        for item in report[key]:
            print(f"    {item['path']}: {item['reason']}")
    if "live_curation" in report:
        print_live_curation(report["live_curation"])


def live_curation_check(record: str, index_dir: Path) -> dict:
    """What the editors' live curation (the record's newest revision) names that the published version
    cannot show; or why it could not be checked."""
    store = CurationStore(open_database(record))
    try:
        latest = store.latest()
    except DATABASE_ERRORS as exc:
        return {"error": f"the record cannot be read: {describe(exc)}"}
    finally:
        store.database.close()
    if latest is None:
        return {"revision": None, "lost": []}
    return {"revision": latest.number, "lost": lost_targets(publishing.open_version(index_dir), latest.state.curation)}


def print_live_curation(check: dict) -> None:
    if "error" in check:
        print(f"  live curation not checked: {check['error']}")
    elif check["revision"] is not None:
        print(f"  live curation (revision {check['revision']}): {len(check['lost'])} lost against this version")
        for line in check["lost"]:
            print(f"    {line}")


def print_stats(info: dict) -> None:
    print(f"published version {info['version']} (built {info['built_at']}, model {info['model']})")
    for key, value in info["counts"].items():
        print(f"  {key}: {value}")
    print(f"  index size: {info['size_bytes'] / 1e6:.1f} MB")
    print("  per site:")
    for name, counts in info["sites"].items():
        print(f"    {name}: {counts['pages']} pages, {counts['passages']} passages")
    print(f"  pages skipped at build: {len(info['skipped'])}")
    for item in info["skipped"]:
        print(f"    {item['path']}: {item['reason']}")


def describe_target(reader: IndexReader, target: str) -> tuple[str, bool]:
    """What a best bet or hide target resolves to in a version, and whether it resolves."""
    if reader.resolve(target) is None:
        return f"{target}: NOT FOUND in version {reader.version}", False
    found = target_passage(reader, target)
    if found is None:
        return f"{target}: a page with no text", True
    record, whole_page = found
    if whole_page:
        return f"{target}: page \"{record.title}\"", True
    return f"{target}: section \"{record.title}\" > \"{record.section}\"", True


def check_best_bets(reader: IndexReader, curation: Curation) -> bool:
    """Print each best bet and hidden target with what it resolves to; False if a best bet shows a
    target that does not resolve or that the same curation hides (a build would refuse either)."""
    resolved = True
    print(f"{len(curation.bets)} best bets, {len(curation.hide)} hidden, against version {reader.version}")
    hidden = {found for found in map(reader.resolve, curation.hide) if found}
    for bet in curation.bets:
        print(f"  {' | '.join(bet.phrasings)}")
        for target in bet.show:
            line, found = describe_target(reader, target)
            place = reader.resolve(target)
            if place is not None and (place in hidden or (place[0], None) in hidden):
                line, found = f"{target}: HIDDEN by the hide list (a build refuses this bet)", False
            resolved &= found
            print(f"    shows {line}")
    for target in curation.hide:
        line, found = describe_target(reader, target)
        print(f"  hides {line if found else target + ': matches nothing (no effect)'}")
    return resolved



# What the libraries say that means nothing to an operator (onnxruntime's quantisation advice, sent to
# the root logger).
LIBRARY_NOISE = ("Please consider to run pre-processing before quantization",)


# The commands that load the models.
MODEL_COMMANDS = ("build", "update", "export-onnx")


def set_up_logging(loads_models: bool) -> None:
    """The indexer's own steps, one line each on stderr (so that --json output stays one object); and,
    for a command that loads the models, the libraries' notes to their own developers silenced:
    transformers' load reports and progress bars, PyTorch's tracer warnings while exporting to ONNX,
    onnxruntime's quantisation advice. Every error still shows."""
    handler = logging.StreamHandler()
    handler.addFilter(lambda record: not str(record.msg).startswith(LIBRARY_NOISE))
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[handler])
    logging.getLogger("indexer").setLevel(logging.INFO)
    if not loads_models:
        return
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", module=r"torch\.onnx|transformers|torch\.jit")
    warnings.filterwarnings("ignore", message=r".*TracerWarning.*|Converting a tensor to a Python")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    set_up_logging(args.command in MODEL_COMMANDS)
    try:
        if args.command in ("build", "update"):
            embedding.set_threads(args.threads)
            sources = sources_from(args)
            config = ChunkConfig(args.max_tokens, args.overlap_tokens)
            incremental = args.command == "update"
            report = build(sources, args.index_dir, args.device, config, incremental=incremental,
                           keep=args.keep, embedding_cache=args.embedding_cache).to_json()
            if args.record:
                report["live_curation"] = live_curation_check(args.record, args.index_dir)
            print(json.dumps(report, indent=2)) if args.json else print_build(report)
            if report["failed_sources"]:
                print(f"error: {len(report['failed_sources'])} sources failed and kept their indexed pages "
                      f"(see pages skipped): {', '.join(report['failed_sources'])}", file=sys.stderr)
                return 1
        elif args.command == "export-onnx":
            for model in models.MODELS:
                print(f"ONNX export checked against the model: {onnx_export.export(args.cache, model)}")
        elif args.command == "check-best-bets":
            reader = publishing.open_version(args.index_dir)
            curation = load_best_bets(args.file) if args.file else reader.curation()
            return 0 if check_best_bets(reader, curation) else 1
        elif args.command == "rollback":
            print(f"published version {publishing.rollback(args.index_dir)}")
        else:
            info = stats(publishing.open_version(args.index_dir))
            print(json.dumps(info, indent=2)) if args.json else print_stats(info)
    except (CuratedSearchError, OSError) as exc:  # the operator can act on these; anything else is a bug
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
