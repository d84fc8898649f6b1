"""How well the pages match a question: `good`; `weak`, on topic but the shown passages do not address
what the question is about (like a web search's "Missing: dye"); or `none`, no good match at all."""
from __future__ import annotations

from collections.abc import Collection, Iterable

from search_app.engine.query_words import content_words
from search_app.engine.word_forms import adverb_only, forms
from search_index import keywords

# Who is asking or for whom: a question's context, not what it is about ("my mum has stage 4 ...").
CONTEXT_WORDS = frozenset("""mother mum mom mommy father dad daddy wife husband partner sister brother daughter son
    grandmother grandma nan granny grandfather grandpa aunt uncle friend child children kid kids boyfriend
    girlfriend family""".split())
# The same words as keyword terms, so that "moms" and "mum's" are context words too.
CONTEXT_TERMS = frozenset(keywords.tokens(" ".join(CONTEXT_WORDS)))
# A word of this many letters or more is found in a longer word that starts with it ("brca" in "brca1").
PREFIX_LENGTH = 4


def focus_words(question: str, common: Collection[str]) -> list[str]:
    """The words a question is about: its content words without context words and without the
    corpus's most common words (they are in every answer)."""
    return [w for w in content_words(question) if not context_word(w) and w not in common]


def context_word(word: str) -> bool:
    """Whether the word (in any of its forms: "moms", "mum's") names who is asking or for whom."""
    terms = keywords.tokens(word)
    return bool(terms) and terms[0] in CONTEXT_TERMS


def shown_terms(texts: Iterable[str]) -> frozenset[str]:
    """The keyword terms (stemmed) of the passages, headings and titles a result page shows."""
    return frozenset(term for text in texts for term in keywords.tokens(text))


def missing(words: Iterable[str], shown_texts: Iterable[str], corpus_terms: Collection[str]) -> list[str]:
    """The focus words that the corpus holds in no form (as keyword terms of any of its forms: "moved"
    is held where the corpus says "move", "went" where it says "go") and that no shown passage holds
    either: what the pages do not talk about. A word known only as an adverb ("everywhere") is no topic
    and never missing. The shown texts are read only when a word is not in the corpus (most questions
    have none)."""
    unknown = [word for word in words if not adverb_only(word) and not held(word, corpus_terms)]
    return unheld(unknown, shown_texts) if unknown else []


def held(word: str, corpus_terms: Collection[str]) -> bool:
    """Whether the corpus holds the word in one of its forms (every keyword term of that form)."""
    return any(all(term in corpus_terms for term in keywords.tokens(form)) for form in forms(word))


def unheld(words: Iterable[str], texts: Iterable[str]) -> list[str]:
    """The words that none of the texts holds in any of their forms, as a keyword term or the start of one."""
    shown = shown_terms(texts)
    return [word for word in words
            if not any(t in shown for form in forms(word) for t in keywords.tokens(form))
            and not (len(word) >= PREFIX_LENGTH and any(term.startswith(word) for term in shown))]


def quality(no_match: bool, best_cosine: float, absent: list[str], weak_below: float,
            weak_missing_below: float, covered: bool = False) -> str:
    """`none` for no good match; `weak` when the best passage is not close (`weak_below`), or is only
    fairly close (`weak_missing_below`) and a focus word is absent from the pages, unless the first
    section holds every word the question is about (`covered`); else `good`."""
    if no_match:
        return "none"
    if not covered and (best_cosine < weak_below or (absent and best_cosine < weak_missing_below)):
        return "weak"
    return "good"
