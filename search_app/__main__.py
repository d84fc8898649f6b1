"""The app's own command line, on its record (`--record`: DATABASE_URL or the QUERY_LOG file; default:
from the environment):

    python -m search_app usage [--days 30] [--top 20]
        searches and the most frequent unanswered questions (the dashboard's list, for a terminal)
    python -m search_app curation export --best-bets FILE --synonyms FILE
        the live curation written as the reviewed files, for review in git
    python -m search_app curation import --best-bets FILE --synonyms FILE [--index-dir DIR]
        the reviewed files as the live curation's newest revision, checked against the published version
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from search_app.engine import editing
from search_app.web.usage import UsageLog
from search_index import publishing
from search_index.best_bets import format_best_bets, load_best_bets
from search_index.curation_store import CurationState, CurationStore
from search_index.database import ERRORS, Database, describe
from search_index.errors import CuratedSearchError
from search_index.synonyms import format_synonyms, load_synonyms


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m search_app", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", default=os.environ.get("DATABASE_URL") or os.environ.get("QUERY_LOG"),
                        help="DATABASE_URL or the QUERY_LOG file the app writes (default: from the environment)")
    commands = parser.add_subparsers(dest="command", required=True)
    usage = commands.add_parser("usage", help="searches and the most frequent unanswered questions")
    usage.add_argument("--log", type=Path, help="the QUERY_LOG file (instead of --record)")
    usage.add_argument("--days", type=int, default=30)
    usage.add_argument("--top", type=int, default=20)
    curation = commands.add_parser("curation", help="export or import the live curation as the reviewed files")
    curation.add_argument("action", choices=("export", "import"))
    curation.add_argument("--best-bets", type=Path, required=True)
    curation.add_argument("--synonyms", type=Path, required=True)
    curation.add_argument("--index-dir", type=Path, default=publishing.DEFAULT_INDEX_DIR,
                          help="the index whose published version an import is checked against")
    curation.add_argument("--editor", default="command line", help="the name the record keeps with an import")
    return parser.parse_args(argv)


def print_usage(record: str, days: int, top: int) -> int:
    usage = UsageLog(Database(record))
    print(f"Searches, last {days} days: {sum(day.searches for day in usage.days(days))}")
    print(f"Most frequent unanswered questions, last {days} days:")
    print("times  no match  weak  question")
    for query, count, weak in usage.top(days, top):
        print(f"{count:5}  {count - weak:8}  {weak:4}  {query}")
    return 0


def export_curation(store: CurationStore, index_dir: Path, best_bets: Path, synonyms: Path) -> int:
    latest = store.latest()
    if latest is None:
        reader = publishing.open_version(index_dir)
        state = CurationState(reader.curation(), tuple(tuple(g) for g in reader.manifest.synonyms))
        print(f"the record holds no live curation: exported the published version {reader.version}'s own")
    else:
        state = latest.state
        print(f"exported revision {latest.number} ({latest.action}, by {latest.editor})")
    best_bets.write_text(format_best_bets(state.curation), encoding="utf-8")
    synonyms.write_text(format_synonyms(list(state.synonyms)), encoding="utf-8")
    return 0


def import_curation(store: CurationStore, index_dir: Path, best_bets: Path, synonyms: Path, editor: str) -> int:
    state = CurationState(load_best_bets(best_bets), tuple(load_synonyms(synonyms)))
    try:
        editing.imported(state, publishing.open_version(index_dir))
    except editing.EditRefused as exc:
        print(f"error: not imported: {exc}", file=sys.stderr)
        return 1
    revision = store.commit(editor, f"imported from {best_bets.name} and {synonyms.name}", state)
    print(f"imported as revision {revision.number}: {len(state.curation.bets)} best bets, "
          f"{len(state.curation.hide)} hidden, {len(state.synonyms)} synonym groups")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    record = str(args.log) if getattr(args, "log", None) else args.record
    if not record:
        print("error: no record: give --record, or set DATABASE_URL or QUERY_LOG", file=sys.stderr)
        return 1
    try:
        if args.command == "usage":
            if "://" not in record and not Path(record).is_file():
                print(f"error: no query log at {record}", file=sys.stderr)
                return 1
            return print_usage(record, args.days, args.top)
        store = CurationStore(Database(record))
        if args.action == "export":
            return export_curation(store, args.index_dir, args.best_bets, args.synonyms)
        return import_curation(store, args.index_dir, args.best_bets, args.synonyms, args.editor)
    except ERRORS as exc:
        print(f"error: {describe(exc)}", file=sys.stderr)
        return 1
    except CuratedSearchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
