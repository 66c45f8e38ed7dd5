"""Highlighted matches of a search hit: each document field a query word matched, with `<mark>` around the words.

Done in Python on the page's documents rather than with `ts_headline`
(Django's `SearchHeadline`): `ts_headline` marks only full-text matches, so a
typo the trigram match forgave ("Paracetmol") would find Paracetamol without
showing why, and it returns the text unescaped. A word is marked when it
matches a query word the way the search does:

- it starts with the query word, or with one of its stems (accents and case
  ignored), as the prefix full-text match does; the CRM's digits count alone;
- or, for query words long enough (`Term.typo_tolerant`), its trigram word
  similarity with the query word reaches pg_trgm's default threshold (0.6):
  the share of the query word's trigrams the word contains.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pharmacy.search import Term

#: pg_trgm.word_similarity_threshold for the search's `%>` (pg_trgm's default, 0.6, misses one
#: dropped letter in a short name: word_similarity('slva', 'silva') = 0.4).
WORD_SIMILARITY_THRESHOLD = 0.4
_WORD = re.compile(r"[^\W_]+")


def plain(text: str) -> str:
    """Lower case without accents, like `pharmacy_unaccent` for Portuguese text."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def trigrams(word: str) -> list[str]:
    """pg_trgm's trigrams of one word, in order: two spaces before, one after."""
    padded = f"  {word} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def word_similarity(term: str, word: str) -> float:
    """pg_trgm's `word_similarity(term, word)` for one word: the best Jaccard similarity
    between the term's trigrams and a contiguous run of the word's trigrams."""
    wanted, ordered = set(trigrams(term)), trigrams(word)
    best = 0.0
    for start in range(len(ordered)):
        extent: set[str] = set()
        for trigram in ordered[start:]:
            extent.add(trigram)
            common = len(wanted & extent)
            best = max(best, common / (len(wanted) + len(extent) - common))
    return best


@functools.lru_cache(maxsize=8192)
def similar(term: str, word: str) -> bool:
    """word_similarity(term, word) >= the threshold, skipping the exact computation when it cannot be."""
    wanted = set(trigrams(term))
    # c / (|T| + |E| - c) <= c / |T|: too few shared trigrams cannot reach the threshold (most words).
    if len(wanted.intersection(trigrams(word))) < WORD_SIMILARITY_THRESHOLD * len(wanted):
        return False
    return word_similarity(term, word) >= WORD_SIMILARITY_THRESHOLD


def _matches(word: str, term: Term) -> bool:
    if word.startswith(term.plain) or any(word.startswith(stem) for stem in term.stems):
        return True
    if term.plain.isdigit() and re.sub(r"\D", "", word).startswith(term.plain):
        return True
    return term.typo_tolerant and similar(term.plain, word)


@functools.lru_cache(maxsize=65536)
def _marked(word: str, terms: tuple[Term, ...]) -> bool:
    """Whether a word of a document matches one of the query's words (documents repeat their words a lot)."""
    word = plain(word)
    return any(_matches(word, term) for term in terms)


@functools.lru_cache(maxsize=16384)
def highlight(text: str, terms: tuple[Term, ...]) -> str | None:
    """`text` HTML-escaped with `<mark>` around each matching word; None when no word matches.

    Cached: a page's documents share most of their texts (medications, descriptions, doctors).
    """
    parts, end, marked = [], 0, False
    for found in _WORD.finditer(text):
        if _marked(found.group(), terms):
            parts.append(html.escape(text[end : found.start()]))
            parts.append(f"<mark>{html.escape(found.group())}</mark>")
            end, marked = found.end(), True
    parts.append(html.escape(text[end:]))
    return "".join(parts) if marked else None


def _fields(documento: dict) -> list[tuple[str, str | None]]:
    medico, paciente = documento.get("medico") or {}, documento.get("paciente") or {}
    fields = [
        ("paciente.nome", paciente.get("nome")),
        ("paciente.endereco", paciente.get("endereco")),
        ("medico.nome", medico.get("nome")),
        ("medico.crm", medico.get("crm")),
        ("medico.especialidade", medico.get("especialidade")),
    ]
    for index, item in enumerate(documento.get("medicamentos") or []):
        for key in ("nome", "descricao", "dosagem"):
            fields.append((f"medicamentos[{index}].{key}", item.get(key)))
    return fields


def highlight_document(documento: dict, terms: list[Term]) -> dict[str, str]:
    """{field path: highlighted text} for every field of the document a query word matched."""
    if not terms:
        return {}
    found, terms_key = {}, tuple(terms)
    for path, value in _fields(documento):
        if value:
            marked = highlight(str(value), terms_key)
            if marked is not None:
                found[path] = marked
    return found
