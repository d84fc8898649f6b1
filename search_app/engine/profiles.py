"""How the questions of one language are read: everything the search does differently by language, as
data. A language the pipeline should answer is a profile here (and a language search_index.language
detects); no stage of the pipeline asks which language it is."""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace

from search_index import language


@dataclass(frozen=True)
class LanguageProfile:
    """One language's reading of a question. Figures are `make eval` unless said otherwise."""

    code: str
    # The model that reads the question, judges how well the pages match it (its best cosine) and, in
    # the default strategy, finds the candidates ("minilm": English; "e5": multilingual).
    reader: str
    # The other model's share of the candidates' scores in the default strategy (0: not asked).
    second_reader_weight: float
    # Default strategy: cosine + w x BM25 scaled to the best keyword hit.
    keyword_weight: float
    # ... + w x BM25 of the question's names alone (Snapshot.names: "nccn", "her2"), scaled to their
    # best hit.
    name_keyword_weight: float
    # "No good match" when the best passage cosine is under this quantile of the version's off-topic
    # calibration scores for the reader's model (indexer.calibration).
    off_topic_quantile: float
    # ... unless a passage holds every content word of the question; and a question is matched `good`,
    # not `weak`, when the first section holds every word it is about (the question's words are the
    # corpus's: English).
    rescued_by_words: bool
    # "weak" when the judging model's best cosine is under weak_below[model] (each model has its own
    # scale), or under weak_missing_below while a focus word of the question is nowhere in the corpus
    # (None: that rule is off).
    weak_below: Mapping[str, float]
    weak_missing_below: float | None
    # A page in another language drops by this much (on the reader's scale).
    other_language_penalty: float
    # Words and phrasings the corpus's own language gives: spelling correction into the corpus's words,
    # the synonym list, the question's focus sentence, the page title bonus, the editors' best bets.
    corrected: bool
    synonyms: bool
    focus: bool
    # The page title bonus, counting only the title's cosine above title_floor (on the judging model's
    # scale: a title the question does not name lifts nothing).
    titles: bool
    title_floor: float
    best_bets: bool
    # The second stage reads this language's questions (search_app.engine.rereading) and judges them:
    # "weak" when the first section answers with a probability under weak_answers_below.
    reread: bool
    weak_answers_below: float
    # The comparison strategies this language has (search_app.engine.strategies); any other reads as
    # "default".
    strategies: tuple[str, ...]
    # A question is read in this language (rather than the corpus's) when the detector is at least
    # `sure` of it, or leans to it (`leaning`) while it holds one of `letters` or the reader's interface
    # is in this language. Short English questions are often near the line ("metastasis", "tamoxifen").
    sure: float = 0.9
    leaning: float = 0.5
    letters: str = ""


ENGLISH = LanguageProfile(
    code="en", reader="minilm",
    # multilingual-e5's share. Halves A/B, nDCG@10 of the default mode at w = 0 / 0.2 / 0.5: the
    # default corpus's patients 0.771/0.764, 0.772/0.773, 0.765/0.762; the benchmark's liveqa-dev
    # 0.519/0.524, 0.501/0.509, 0.472/0.507 and plain-language breast questions 0.702/0.643,
    # 0.689/0.642, 0.694/0.631. e5 helps the small corpus a little and costs the real consumer
    # questions: not a gain. A site may set its own, with keyword_weight (sources.toml [ranking.en],
    # for_site): the default corpus's is 1 and 0 (README, "A site's own weighting").
    second_reader_weight=0.0,
    # Of 0.05 / 0.1 / 0.2 / 0.3, 0.2 was best on liveqa-dev (0.420 / 0.416 / 0.427 / 0.415 nDCG@10,
    # 256-token passages).
    keyword_weight=0.2,
    # The keyword side above reads the names already. A site without it may keep the names' (the default
    # corpus: 0.1, README, "A site's own weighting").
    name_keyword_weight=0.0,
    # 0.41 on the 6,146-page benchmark (where a fixed 0.42 had been chosen), 0.20 on the 18-page
    # default corpus.
    off_topic_quantile=0.9, rescued_by_words=True,
    # Chosen on half of the default corpus's answerable and unanswered questions, confirmed on the
    # other half (README, "How well it matched").
    weak_below={"minilm": 0.55}, weak_missing_below=0.6,
    other_language_penalty=0.1,
    corrected=True, synonyms=True, focus=True, titles=True,
    # A title the question does not name (a page called "Breast Cancer" for "can you get rid of cancer
    # that has gone to other organs") no longer lifts its page over the page that answers. Halves A/B,
    # nDCG@10 at floor 0 / 0.3 / 0.5: the benchmark's plain-language breast questions 0.708/0.643,
    # 0.724/0.651, 0.719/0.653; liveqa-dev 0.518/0.520, 0.518/0.516, 0.495/0.494; MedQuAD 0.802/0.818
    # at every floor; the default corpus's seed-page lay questions 0.477/0.414, 0.477/0.525,
    # 0.522/0.525 and patients 0.779/0.765, 0.777/0.767, 0.769/0.763.
    title_floor=0.3,
    best_bets=True,
    reread=True, weak_answers_below=0.5,
    strategies=("default", "dense", "e5", "fused", "rrf", "keyword", "hybrid"),
)

SPANISH = LanguageProfile(
    code="es", reader="e5", second_reader_weight=0.0,
    # The question's words in the (English) keyword index: names such as "brca" or "herceptin" are the
    # same in both languages, most other words are not. Halves A/B of the default corpus's
    # `pacientes-es`, Success@1 at 0 / 0.01 / 0.02 / 0.04: 0.625/0.625, 0.625/0.542, 0.583/0.500,
    # 0.583/0.458; nDCG@10 0.565/0.594, 0.565/0.578, 0.552/0.538, 0.512/0.491: no keyword side.
    keyword_weight=0.0,
    # The English word list says nothing of a Spanish word.
    name_keyword_weight=0.0,
    # On e5's best cosine and the version's Spanish calibration questions
    # (indexer/data/off-topic-calibration-es.txt).
    off_topic_quantile=0.9, rescued_by_words=False,
    # On e5's best cosine alone (the corpus's words are English, so a Spanish word missing from them
    # says nothing): chosen on halves of the default corpus's `pacientes-es` and
    # `pacientes-sin-respuesta-es.txt` (README, "How well it matched"). MiniLM's, for the comparison
    # strategy "dense", is English's.
    weak_below={"e5": 0.83, "minilm": 0.55}, weak_missing_below=None,
    # On e5's scale, whose cosines spread about a fifth as much as MiniLM's.
    other_language_penalty=0.02,
    # The corpus, its synonyms and the best bets' phrasings are English: a Spanish question is never
    # corrected into English nor matched to them.
    corrected=False, synonyms=False, focus=False, best_bets=False,
    # e5 reads a Spanish question against the English titles as against the passages. Halves A/B of
    # `pacientes-es`, nDCG@10 (Success@1) without titles 0.572 (0.667) / 0.559 (0.583); with them at
    # floor 0.7 to 0.78 (every title's cosine is above) 0.593 (0.708) / 0.584 (0.667), at 0.8 0.576
    # (0.667) / 0.584 (0.667), at 0.85 0.565 (0.625) / 0.549 (0.542) (README, "One ranking per language").
    titles=True, title_floor=0.75,
    # The pair reader reads English only.
    reread=False, weak_answers_below=0.0,
    strategies=("default", "dense"),
    letters="¿¡ñáéíóúü",
)



def spoken(question: str, interface: str, profiles: tuple[LanguageProfile, ...]) -> LanguageProfile:
    """The profile a question is read with: the first profile's (the corpus's language) unless the
    detector, among the profiles' languages, is sure enough of another."""
    corpus = profiles[0]
    code, probability = language.classify(question, tuple(p.code for p in profiles))
    found = next((p for p in profiles[1:] if p.code == code), corpus)
    marked = interface == found.code or any(letter in question.lower() for letter in found.letters)
    return found if probability >= found.sure or (probability >= found.leaning and marked) else corpus


def for_site(profile: LanguageProfile, levers: Mapping[str, Mapping[str, float]],
             pinned: Collection[str] = ()) -> LanguageProfile:
    """The profile with the site's own levers for its language (the sources file's `[ranking]`, stored
    with each version), but not those a measurement sets itself (`pinned`, as "en.keyword_weight")."""
    known = {f.name for f in fields(LanguageProfile)}
    own = {name: value for name, value in levers.get(profile.code, {}).items()
           if name in known and f"{profile.code}.{name}" not in pinned}
    return replace(profile, **own) if own else profile
