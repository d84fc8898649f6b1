"""Spanish-speaking patients: their questions are read as Spanish, searched by the multilingual model,
never "corrected" into English, and answered in Spanish; a bilingual corpus ranks the question's
language first."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from search_app import create_app
from search_app.engine.profiles import spoken
from search_app.engine.ranking import RankingConfig
from search_app.engine.results import SearchOptions
from search_app.engine.retrieval import Retriever
from search_app.web.i18n import TRANSLATIONS
from search_index.language import page_language
from tests.helpers import build_folder, page_html, write_page

pytestmark = pytest.mark.model

SEED = "/pages/metastatic-breast-cancer-introduction.html"

SPANISH_BROWSER = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}


def detect(question: str, interface: str = "en") -> str:
    """The language the app reads a question in."""
    return spoken(question, interface, RankingConfig().profiles).code


@pytest.mark.parametrize("question", [
    "¿se puede curar el cáncer de mama en etapa 4?", "se puede curar el cancer de mama en etapa 4",
    "el cancer se me paso a los huesos es cancer de hueso", "sintomas de cancer de seno", "que es una mamografia"])
def test_spanish_questions_are_read_as_spanish(question):
    assert detect(question) == "es"


@pytest.mark.parametrize("question", [
    "can stage 4 be cured", "metastasis", "tamoxifen", "side efects of tamoxifin", "pizza recipe",
    "Is mal de Meleda inherited ?", "breast cancer"])
def test_english_questions_and_doubtful_words_stay_english(question):
    assert detect(question) == "en"


def test_a_doubtful_word_follows_the_readers_interface():
    assert detect("quimio") == "en" and detect("quimio", interface="es") == "es"


def test_a_pages_language_is_its_declared_one_else_its_texts():
    assert page_language("es-MX", "Breast cancer is the most common cancer.") == "es"
    assert page_language(None, "El cáncer de mama es el cáncer más frecuente en las mujeres.") == "es"
    assert page_language("fr", "Breast cancer is the most common cancer in women.") == "en"


def test_a_spanish_question_finds_the_answer_and_is_never_corrected(client):
    body = client.get("/api/search", query_string={"q": "¿se puede curar el cáncer de mama en etapa 4?"}).get_json()
    assert body["language"] == "es" and body["corrected_query"] is None and not body["no_match"]
    first = body["results"][0]
    assert first["page"]["url"] == SEED and first["page"]["language"] == "en"
    assert first["passages"][0]["section"] == "Treatment for metastatic breast cancer"


def test_spanish_questions_written_without_accents_or_with_slips_are_answered(client):
    for question in ("cuanto tiempo puedo vivir con cancer de mama estadio 4", "tratamiento cancer de mama metatastico"):
        body = client.get("/api/search", query_string={"q": question}).get_json()
        assert body["language"] == "es" and body["corrected_query"] is None
        assert SEED in [result["page"]["url"] for result in body["results"][:3]], question


def test_an_everyday_spanish_question_gets_no_good_match(client):
    body = client.get("/api/search", query_string={"q": "cómo se hace una tortilla de patatas"}).get_json()
    assert body["language"] == "es" and body["no_match"] and body["match"] == "none"


def test_a_spanish_question_the_pages_do_not_answer_is_weak_and_says_so_in_spanish(client):
    answered = client.get("/api/search", query_string={"q": "¿se puede curar el cáncer de mama en etapa 4?"})
    assert answered.get_json()["match"] == "good"
    for question in ("me puedo pintar el pelo si estoy en quimio", "el seguro me paga la peluca durante la quimio"):
        body = client.get("/api/search", query_string={"q": question}).get_json()
        assert body["language"] == "es" and body["match"] == "weak" and body["results"], question
    html = client.get("/", query_string={"q": "me puedo pintar el pelo si estoy en quimio"},
                      headers=SPANISH_BROWSER).get_data(as_text=True)
    assert "Puede que estas páginas no respondan a su pregunta." in html


def test_a_spanish_reader_gets_a_spanish_page(client):
    html = client.get("/", query_string={"q": "¿qué es una mastectomía?"}, headers=SPANISH_BROWSER).get_data(as_text=True)
    assert '<html lang="es">' in html and "Haga una pregunta" in html and "páginas para «" in html
    assert "página en inglés" in html and "no consejo médico" in html
    english = client.get("/", query_string={"q": "what is a mastectomy"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Ask a question" in english and "page in English" not in english


@pytest.mark.parametrize("question", ["mastectomia", "triple negative", "best pizza in town"])
def test_the_interface_follows_the_reader_whatever_the_question_is_read_as(client, question):
    """Only the reading of the question may change with its words; the page speaks the reader's language."""
    for asked in ({"headers": SPANISH_BROWSER}, {"query_string": {"q": question, "lang": "es"}}):
        html = client.get("/", **({"query_string": {"q": question}} | asked)).get_data(as_text=True)
        assert '<html lang="es">' in html and "Haga una pregunta" in html, (question, asked)
    english = client.get("/", query_string={"q": "¿qué es una mastectomía?", "lang": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in english and "Ask a question" in english


def test_no_good_match_and_the_helpline_line_in_spanish(client):
    html = client.get("/", query_string={"q": "dónde ver el partido de fútbol hoy"},
                      headers=SPANISH_BROWSER).get_data(as_text=True)
    assert "Sin resultados adecuados" in html and "No encontramos en nuestras páginas" in html


def test_the_browser_or_the_lang_parameter_chooses_the_interface(client):
    spanish = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in spanish and "Su pregunta, con sus propias palabras" in spanish
    assert "Haga una pregunta" in client.get("/?lang=es").get_data(as_text=True)
    assert "Ask a question" in client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    refused = client.get("/api/search", query_string={"q": "cancer", "lang": "xx"})
    assert refused.status_code == 400 and "lang must be one of en, es" in refused.get_json()["reason"]
    assert client.get("/?lang=<script>").status_code == 400


def test_the_catalog_is_compiled_from_its_source():
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        with open(po, "rb") as source, open(po.with_suffix(".mo"), "rb") as compiled:
            written, built = read_po(source), read_mo(compiled)
        assert messages(written) == messages(built), \
            f"{po} changed: run `python -m search_app.web.i18n`"
        assert all(m.string for m in written if m.id), f"{po} has untranslated messages"


def flat(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def messages(catalog) -> dict:
    """A catalog's translations, plural forms as tuples."""
    return {flat(m.id): flat(m.string) for m in catalog if m.id}


@pytest.fixture(scope="module")
def bilingual(tmp_path_factory):
    """Two pages on the same topic, one in each language (the Spanish one declares it; the English one does not)."""
    root = tmp_path_factory.mktemp("bilingual")
    write_page(root / "pages", "en.html", page_html("Sun protection", [
        ("Sunscreen", "Use a sunscreen with a high protection factor and put it on again every two hours.")]))
    spanish = page_html("Protección solar", [
        ("Protector solar", "Use un protector solar de factor alto y vuelva a aplicarlo cada dos horas.")])
    write_page(root / "pages", "es.html", spanish.replace("<html>", '<html lang="es">'))
    build_folder(root / "pages", root / "index")
    return Retriever(root / "index")


def test_a_bilingual_corpus_ranks_the_questions_language_first(bilingual):
    spanish = bilingual.search("¿cada cuánto hay que ponerse protector solar?", SearchOptions())
    english = bilingual.search("how often should I put on sunscreen", SearchOptions())
    assert spanish.language == "es" and spanish.pages[0].title == "Protección solar"
    assert spanish.pages[0].language == "es" and spanish.pages[1].language == "en"
    assert english.language == "en" and english.pages[0].title == "Sun protection"


def test_the_english_app_is_unchanged_by_a_spanish_browser(corpus_index):
    app = create_app({"TESTING": True, "INDEX_DIR": str(corpus_index), "RATE_LIMIT_PER_MINUTE": 0})
    body = app.test_client().get("/api/search", query_string={"q": "can stage 4 be cured"},
                                 headers={"Accept-Language": "es"}).get_json()
    assert body["language"] == "en" and body["results"]
    assert Path(SEED).name in body["results"][0]["page"]["url"]


def test_english_titles_and_excerpts_in_a_spanish_page_say_they_are_english(client):
    """A screen reader reads each in its own language's voice (WCAG 3.1.2)."""
    html = client.get("/", query_string={"q": "¿qué es una mastectomía?"}, headers=SPANISH_BROWSER).get_data(as_text=True)
    assert re.search(r'<h3><a href="[^"]+" data-rank="1" lang="en">', html)
    assert '<p class="excerpt" lang="en">' in html and "· página en inglés" in html
    english = client.get("/", query_string={"q": "what is a mastectomy"}).get_data(as_text=True)
    assert 'lang="en">' not in english.replace('<html lang="en">', ""), "nothing to mark in an English page"


def test_a_page_copy_speaks_the_reader_s_language(client):
    spanish = client.get(SEED, headers=SPANISH_BROWSER).get_data(as_text=True)
    assert "Una copia de «" in spanish and "Volver a la búsqueda" in spanish and "A copy of" not in spanish
    assert 'href="/?lang=es"' in spanish
    assert "A copy of “" in client.get(SEED).get_data(as_text=True)
