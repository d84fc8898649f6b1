"""What could identify a person, removed from a question before its text is stored (English and Spanish).

Removed: e-mail and web addresses, also spelled out ("jane dot doe at gmail dot com", "arroba");
phone, record and identity numbers and dates in digits; any other word with three digits or more;
postcodes ("sw1a 1aa") and street addresses ("12 baker street", "calle mayor 5"); dates with a month
in words ("3rd june", "4 de marzo de 1971"); what follows a record label ("mrn", "dob", "nhs");
and up to three words after a phrase that introduces a name or an address ("my name is", "i am",
"i'm", "my wife", "patient", "i live at", "me llamo", "mi nombre es", "soy", "mi marido", "vivo en"),
stopping at a common word or at a word that is no name ("worried", "diagnosed", "embarazada").
Small numbers stay ("stage 4", "HER2").
"""
from __future__ import annotations

import re

from search_index.text import STOP_WORDS, words

EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
WEB_ADDRESS = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_AT = r"(?:\s+(?:at|arroba)\s+|\s*[(\[]\s*(?:at|arroba)\s*[)\]]\s*)"
_DOT = r"(?:\s+(?:dot|punto)\s+|\s*[(\[]\s*(?:dot|punto)\s*[)\]]\s*|\.)"
_TLD = r"(?:com|org|net|edu|gov|info|co|uk|es|mx|ar|cl|pe|us|ca|au|ie|eu|de|fr|it|io|me)"
SPELLED_EMAIL = re.compile(rf"[\w+-]+(?:{_DOT}[\w+-]+)*{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}\b",
                           re.IGNORECASE)
# Phone, record and identity numbers and dates: digits in groups joined by spaces, dots, dashes,
# slashes or brackets, six characters or more ("07700 900123", "943 476 5919", "1971-03-04").
NUMBER_RUN = re.compile(r"\+?\d[\d\s().\-/]{4,}\d")
LONG_NUMBER = re.compile(r"\w*\d{3,}\w*")
POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", re.IGNORECASE)
STREET = re.compile(
    r"\b\d+[a-z]?,?\s+(?:[\w'-]+\s+){1,3}?(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|place|court|"
    r"crescent|terrace|boulevard|blvd|square|gardens|grove|row|hill|park)\b"
    r"|\b(?:calle|c/|avenida|avda|av|plaza|pza|paseo|camino|carretera|ronda|travesía|travesia|glorieta|pasaje)\.?\s+"
    r"(?:(?:de|del|la|las|los|el)\s+)*[\w'-]+(?:\s+[\w'-]+)?(?:\s*,?\s*(?:n[º°o]\.?\s*)?\d+\w?)?",
    re.IGNORECASE)
MONTHS = ("january february march april june july august september october november december jan feb apr jun "
          "jul aug sep sept oct nov dec enero febrero marzo abril mayo junio julio agosto septiembre setiembre "
          "octubre noviembre diciembre")
_MONTH = rf"(?:{'|'.join(MONTHS.split())})"  # "may" is apart: "stage 3 may come back" holds no date
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th|º)"
_YEAR = r",?\s+(?:de\s+|del\s+)?\d{2,4}"
DATE_IN_WORDS = re.compile("|".join((
    rf"\b\d{{1,2}}(?:st|nd|rd|th|º)?\s+(?:of\s+|de\s+)?{_MONTH}\b(?:{_YEAR})?",
    rf"\b(?:{_ORDINAL}\s+(?:of\s+)?|\d{{1,2}}\s+of\s+)may\b(?:{_YEAR})?",
    rf"\b\d{{1,2}}\s+may{_YEAR}",
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:{_YEAR})?",
    rf"\bmay\s+(?:{_ORDINAL}(?:{_YEAR})?|\d{{1,2}}{_YEAR})",
)), re.IGNORECASE)
# A record label, then its value: the next words that hold a digit, or a date in words (already gone).
RECORD = re.compile(r"\b(?:mrn|dob|d\.o\.b\.?|nhs|nhi|ssn|dni|nie|nif|nuss|cip)\b(?:\s*(?:number|no|num|n[º°])\.?)?"
                    r"(?:\s+(?:is|es|was))?[\s:#.-]*((?:\w*\d\w*[\s/.-]*){1,4})", re.IGNORECASE)
_KIN = ("wife husband partner daughter son mother mom mum mommy mummy father dad daddy sister brother friend aunt "
        "auntie uncle niece nephew cousin grandmother grandfather grandma grandpa granny girlfriend boyfriend fiance "
        "fiancee fiancée neighbour neighbor colleague baby child")
_PARIENTES = ("esposa esposo marido mujer pareja novia novio hija hijo madre mamá mama padre papá papa hermana "
              "hermano amiga amigo tía tia tío tio abuela abuelo prima primo sobrina sobrino vecina vecino bebé bebe")
NAME_PHRASE = re.compile(
    r"\b(?:my name is|my name['’]s|name is|i am called|i['’]m called|im called|call me|i am|i['’]m|im|"
    rf"(?:my|our) (?:{'|'.join(_KIN.split())})|patient(?: name)?|named|"
    r"i live at|i live on|i live in|my address is|"
    r"me llamo|mi nombre es|se llama|soy|"
    rf"mis? (?:{'|'.join(_PARIENTES.split())})|paciente|vivo en|mi dirección es|mi direccion es)\b"
    r"|\bthis is (?=[A-Z])", re.IGNORECASE)
NAME_WORDS = 3
# Words that end a name: Spanish common words, and words that follow "i am" or "my wife" in a
# question and are no name.
SPANISH_COMMON = frozenset("""y e o u de del la el los las en con a al que mi mis tu su sus es está esta estoy
    estaba fue ha he tengo tiene tenía tenia me se un una unos unas por para desde hace años año muy ya no sí si
    pero como cuando donde qué que cual cuál""".split())
NOT_NAMES = frozenset("""really currently still newly recently going worried scared afraid anxious concerned
    nervous tired sick ill pregnant breastfeeding nursing male female man woman single married divorced widowed
    older young old postmenopausal premenopausal menopausal perimenopausal diabetic allergic overweight healthy
    positive negative her2 brca triple stage survivor cancer breast metastatic due also diagnosed undergoing
    receiving starting finished done currently age aged years year months weeks embarazada preocupada preocupado
    asustada asustado enferma enfermo diagnosticada diagnosticado mujer hombre paciente superviviente
    sobreviviente diabética diabetico diabético diabetica mayor joven nueva nuevo casada casado soltera soltero
    viuda viudo también tambien""".split())
VERB_FORM = re.compile(r"\w{3,}(?:ing|ed|ada|ado|ida|ido)$")


def anonymise(query: str) -> str:
    """The question without what identifies a person (the module's docstring says what)."""
    text = SPELLED_EMAIL.sub(" ", WEB_ADDRESS.sub(" ", EMAIL.sub(" ", query)))
    text = RECORD.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + " ", DATE_IN_WORDS.sub(" ", text))
    text = STREET.sub(" ", POSTCODE.sub(" ", text))
    text = LONG_NUMBER.sub(" ", NUMBER_RUN.sub(" ", text))
    parts = NAME_PHRASE.split(text)
    kept = [parts[0]]
    for after in parts[1:]:
        found = words(after)
        name = 0
        while name < min(NAME_WORDS, len(found)) and could_be_a_name(found[name]):
            name += 1
        kept.append(" ".join(found[name:]))
    return " ".join(kept)


def could_be_a_name(word: str) -> bool:
    return not (word in STOP_WORDS or word in SPANISH_COMMON or word in NOT_NAMES or VERB_FORM.match(word)
                or any(c.isdigit() for c in word))
