"""Words of the corpus with their frequencies: the dictionary that query spelling correction trusts."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from search_index.documents import Page
from search_index.text import words


def count_words(texts: Iterable[str]) -> Counter:
    counts: Counter = Counter()
    for text in texts:
        counts.update(words(text))
    return counts


def page_vocabulary(pages: Iterable[Page]) -> Counter:
    """Every word of every title, heading and section text."""
    return count_words(
        text for page in pages for text in (page.title, *(part for s in page.sections for part in (s.heading, s.text)))
    )
