#!/usr/bin/env bash
# Incremental update timings on a copy of the benchmark corpus.
# Usage: bench/update.sh SHARED_INDEX SHARED_PAGES   (SHARED_INDEX: a full build of SHARED_PAGES)
set -euo pipefail
index=$1 pages=$2
work=var/update-bench
rm -rf "$work" && mkdir -p "$work"
cp -r "$pages" "$work/pages"
cp -r "$index" "$work/index"
py=.venv/bin/python
summary() { $py -c 'import json,sys; r=json.load(sys.stdin); print("  " + ", ".join(f"{k} {len(v) if isinstance(v, list) else v}" for k, v in r.items() if k in ("pages","passages","added","changed","removed","unchanged","embedded","reused","seconds")))'; }
echo "re-keying the copy (every page moves to the copy's folder, which replaces the original as the source; vectors are reused by text):"
$py -m indexer update --source "$work/pages" --index-dir "$work/index" --allow-shrink --json | summary
echo "update with nothing changed:"
$py -m indexer update --source "$work/pages" --index-dir "$work/index" --json | summary
shopt -s globstar
files=("$work"/pages/**/*.html)
page=${files[0]}
sed -i 's|</main>|<h2 id="added-section">Added section</h2><p>A paragraph added to measure an incremental update.</p></main>|' "$page"
echo "update after editing one page ($page):"
$py -m indexer update --source "$work/pages" --index-dir "$work/index" --json | summary
