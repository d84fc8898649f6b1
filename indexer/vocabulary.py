"""Words of the corpus with their frequencies (the dictionary that query spelling correction trusts),
and its most used phrases (what suggestions complete)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from search_index.documents import Page
from search_index.text import STOP_WORDS, sentence_spans, words

# Phrases of two or three words, used in at least this many passages, the most used first.
PHRASE_MIN_PASSAGES = 3
MAX_PHRASES = 3000
# Words that make a phrase a fragment of a sentence when they start or end it ("side effects including").
EDGE_WORDS = STOP_WORDS | frozenset("""also called cause causes caused help helps including include includes learn may
    page pages read see used using uses use will""".split())


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


def common_phrases(texts: Iterable[str]) -> list[tuple[str, int]]:
    """Two- and three-word phrases of one sentence that neither start nor end with a stop word ("side
    effects", "triple negative breast cancer" as "triple negative breast"), with the number of texts
    using each."""
    counts: Counter = Counter()
    for text in texts:
        found = set()
        for start, end in sentence_spans(text):
            tokens = words(text[start:end])
            found |= {" ".join(tokens[i:i + n]) for n in (2, 3) for i in range(len(tokens) - n + 1)
                      if tokens[i] not in EDGE_WORDS and tokens[i + n - 1] not in EDGE_WORDS
                      and not any(t.isdigit() for t in tokens[i:i + n])}
        counts.update(found)
    common = [(phrase, n) for phrase, n in counts.most_common() if n >= PHRASE_MIN_PASSAGES]
    return common[:MAX_PHRASES]
