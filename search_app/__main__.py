"""The app's own command line: `python -m search_app usage --log FILE [--days 30] [--top 20]`, the usage
log's searches and most frequent unanswered questions (the dashboard's list, for a terminal)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from search_app.web.usage import UsageLog


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m search_app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    usage = commands.add_parser("usage", help="searches and the most frequent unanswered questions in the usage log")
    usage.add_argument("--log", required=True, type=Path, help="the QUERY_LOG file the app writes")
    usage.add_argument("--days", type=int, default=30)
    usage.add_argument("--top", type=int, default=20)
    return parser.parse_args(argv)


def print_usage(log: Path, days: int, top: int) -> int:
    if not log.is_file():
        print(f"error: no query log at {log}", file=sys.stderr)
        return 1
    usage = UsageLog(log)
    print(f"Searches, last {days} days: {sum(day.searches for day in usage.days(days))}")
    print(f"Most frequent unanswered questions, last {days} days:")
    print("times  no match  weak  question")
    for query, count, weak in usage.top(days, top):
        print(f"{count:5}  {count - weak:8}  {weak:4}  {query}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return print_usage(args.log, args.days, args.top)


if __name__ == "__main__":
    sys.exit(main())
