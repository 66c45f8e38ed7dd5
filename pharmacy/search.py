"""Search over the prescription documents: the pharmacy's "busca" and the admin's search box.

One function answers both (`search`), over the read model only
(`vw_prescricoes_documentos` and its generated search columns, see
`pharmacy/sql/search.sql`). Each word of the query must match the
document, in one of two ways:

- full text (`busca @@ to_tsquery('pharmacy_pt', 'word':*)`): accent- and
  case-insensitive, stemmed for Portuguese, and a prefix, so "parac" finds
  Paracetamol and "cardiologista" finds Cardiologia;
- or, for words of 4 letters or more (no digits), pg_trgm's word similarity with the
  unaccented names, CRM, specialty and address (`busca_texto %> 'word'`),
  so "Paracetmol" and "Slva" still find Paracetamol and Silva.

Portuguese stop words ("da", "de", "para") constrain nothing. Hits are ranked
by relevance (`ts_rank` with names weighing most; hits matching every word
without a typo first), then newest first; pages are keyset cursors over that order.
Facets count every match (all pages) by status, specialty and medication.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast

from pharmacy.models import ESPECIALIDADE, PrescricaoDocumento
from pharmacy.search_highlight import WORD_SIMILARITY_THRESHOLD, highlight_document

CONFIG = "pharmacy_pt"  # the text-search configuration of the `busca` column (unaccent + Portuguese stemming)
MAX_TERMS = 10
TYPO_MIN_LENGTH = 4  # shorter words are too fuzzy for trigram similarity: full text (prefix) only
MEDICATION_FACET_SIZE = 20
_WORD = re.compile(r"[^\W_]+")


class InvalidCursor(ValueError):
    """The `cursor` was not produced by this search (or was altered)."""


@dataclass(frozen=True)
class Term:
    """One word of the query: as typed, unaccented and lower-cased, and its stems (none: a stop word)."""

    typed: str
    plain: str
    stems: tuple[str, ...]

    @property
    def full_text(self) -> SearchQuery:
        return SearchQuery(f"'{self.plain}':*", search_type="raw", config=CONFIG)

    @property
    def typo_tolerant(self) -> bool:
        """Words only: a number or a code (CRM, dosage) near another is a different one, not a typo."""
        return len(self.plain) >= TYPO_MIN_LENGTH and self.plain.isalpha()


@dataclass(frozen=True)
class Filters:
    """Restrictions combined with the words (all optional); dates are whole days in the server's time zone."""

    status: str | None = None
    desde: dt.datetime | None = None
    ate: dt.datetime | None = None  # exclusive
    especialidade: str | None = None
    id_medicamento: int | None = None
    id_paciente: int | None = None
    id_medico: int | None = None


@dataclass(frozen=True)
class Position:
    """Where a page ends in the (relevance, date, id) order: the next page starts after it."""

    rank: float
    data_prescricao: dt.datetime
    id_prescricao: int

    def encode(self) -> str:
        raw = json.dumps([self.rank, self.data_prescricao.isoformat(), self.id_prescricao])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            rank, when, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            position = cls(float(rank), dt.datetime.fromisoformat(when), int(pk))
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
            raise InvalidCursor(cursor) from exc
        if position.data_prescricao.tzinfo is None:
            raise InvalidCursor(cursor)
        return position


@dataclass
class Hit:
    document: PrescricaoDocumento
    rank: float
    highlights: dict[str, str]


@dataclass
class Page:
    hits: list[Hit]
    count: int
    facets: dict[str, list[dict]]
    next: Position | None


def parse_terms(q: str, *, using: str = DEFAULT_DB_ALIAS) -> list[Term]:
    """The query's words, normalized by PostgreSQL itself (unaccent, stems), stop words dropped."""
    words = _WORD.findall(q or "")[:MAX_TERMS]
    if not words:
        return []
    # The threshold of `%>` is set for the session in the same statement: only this search uses `%>`.
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""SELECT w, pharmacy_unaccent(w), tsvector_to_array(to_tsvector('{CONFIG}', w))
                FROM unnest(%s::text[]) WITH ORDINALITY AS t(w, n),
                     set_config('pg_trgm.word_similarity_threshold', %s, false)
                ORDER BY n""",
            [words, str(WORD_SIMILARITY_THRESHOLD)],
        )
        return [Term(typed, plain, tuple(stems)) for typed, plain, stems in cursor.fetchall() if stems]


def _word_matches(term: Term) -> Q:
    match = Q(busca=term.full_text)
    if term.typo_tolerant:
        match |= Q(busca_texto__trigram_word_similar=term.plain)
    return match


def _filtered(queryset: QuerySet, filters: Filters) -> QuerySet:
    conditions = {
        "status": filters.status,
        "data_prescricao__gte": filters.desde,
        "data_prescricao__lt": filters.ate,
        "especialidade": filters.especialidade,  # the search index's second column (pharmacy.models)
        "id_paciente": filters.id_paciente,
        "id_medico": filters.id_medico,
    }
    queryset = queryset.alias(especialidade=ESPECIALIDADE)
    queryset = queryset.filter(**{key: value for key, value in conditions.items() if value is not None})
    if filters.id_medicamento is not None:
        queryset = queryset.filter(documento__medicamentos__contains=[{"id_medicamento": filters.id_medicamento}])
    return queryset


def matching(terms: list[Term], filters: Filters = Filters(), *, using: str = DEFAULT_DB_ALIAS) -> QuerySet:
    """Documents matching every term and the filters, unordered (the admin orders them its own way)."""
    queryset = PrescricaoDocumento.objects.using(using).defer("busca", "busca_texto")
    for term in terms:
        queryset = queryset.filter(_word_matches(term))
    return _filtered(queryset, filters)


def _ranked(queryset: QuerySet, terms: list[Term]) -> QuerySet:
    """`rank`: `ts_rank` over the words (names weigh most), plus 1 when every word matched without a typo.

    As double precision, so a cursor carries it exactly and pages never skip
    or repeat a hit. (Ranking by trigram similarity too would cost a
    `word_similarity` over each match's text: most of a broad search's time.)
    """
    if not terms:
        return queryset.annotate(rank=Value(0.0, output_field=FloatField()))
    any_term, every_term = terms[0].full_text, terms[0].full_text
    for term in terms[1:]:
        any_term |= term.full_text
        every_term &= term.full_text
    exact = Case(When(busca=every_term, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    return queryset.annotate(rank=Cast(SearchRank(F("busca"), any_term), FloatField()) + exact)


PAGE_AND_FACETS_SQL = """
WITH hits AS MATERIALIZED ({ranked}),
page AS (
    SELECT * FROM hits h WHERE {after}
    ORDER BY h.rank DESC, h.data_prescricao DESC, h.id_prescricao DESC LIMIT %s
)
SELECT 'hit', NULL, NULL::bigint, NULL::bigint, {document_columns}, p.rank::double precision FROM page p
UNION ALL
SELECT 'status', h.status, NULL, count(*), {no_document}, NULL FROM hits h GROUP BY h.status
UNION ALL
SELECT 'especialidade', h.documento #>> '{{medico,especialidade}}', NULL, count(*), {no_document}, NULL
FROM hits h GROUP BY 2
UNION ALL
(SELECT 'medicamento', min(m.nome), m.id_medicamento, count(DISTINCT h.id_prescricao), {no_document}, NULL
 FROM hits h CROSS JOIN LATERAL jsonb_to_recordset(h.documento -> 'medicamentos') AS m(id_medicamento bigint, nome text)
 GROUP BY m.id_medicamento ORDER BY 4 DESC, 2 LIMIT {medication_limit})
"""
#: The document's columns a hit loads (its generated search columns stay deferred, as in `matching`).
DOCUMENT_FIELDS = [f for f in PrescricaoDocumento._meta.concrete_fields if not f.generated]
_AFTER_SQL = """(h.rank < %s OR (h.rank = %s AND h.data_prescricao < %s)
    OR (h.rank = %s AND h.data_prescricao = %s AND h.id_prescricao < %s))"""


def _page_and_facets_sql(ranked: QuerySet, after: Position | None, limit: int) -> tuple[str, list]:
    """One statement: the matches (with their rank) once, the page after `after` and the facets from them."""
    columns = [f.attname for f in DOCUMENT_FIELDS]
    ranked_sql, params = ranked.order_by().values(*columns, "rank").query.sql_with_params()
    after_sql, after_params = "TRUE", []
    if after is not None:
        rank, when, pk = after.rank, after.data_prescricao, after.id_prescricao
        after_sql, after_params = _AFTER_SQL, [rank, rank, when, rank, when, pk]
    sql = PAGE_AND_FACETS_SQL.format(
        ranked=ranked_sql,
        after=after_sql,
        document_columns=", ".join(f"p.{column}" for column in columns),
        no_document=", ".join(f"NULL::{f.db_type(connections[ranked.db])}" for f in DOCUMENT_FIELDS),
        medication_limit=MEDICATION_FACET_SIZE,
    )
    return sql, [*params, *after_params, limit + 1]


def search(
    q: str,
    filters: Filters = Filters(),
    *,
    after: Position | None = None,
    limit: int = 20,
    using: str = DEFAULT_DB_ALIAS,
) -> Page:
    """One page of hits (best first) with highlights, the total count and the facets of all matches.

    Two statements: the words' normalization (`parse_terms`), then one that
    finds the matches once and returns both the page and the facets.
    """
    terms = parse_terms(q, using=using)
    sql, params = _page_and_facets_sql(_ranked(matching(terms, filters, using=using), terms), after, limit)
    connection = connections[using]
    names = [f.attname for f in DOCUMENT_FIELDS]
    rows: list[PrescricaoDocumento] = []
    found: dict[str, list[dict]] = {"status": [], "especialidade": [], "medicamento": []}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, value, pk, total, *document, rank in cursor.fetchall():
            if kind == "hit":
                values = [_from_db(f, v, connection) for f, v in zip(DOCUMENT_FIELDS, document, strict=True)]
                row = PrescricaoDocumento.from_db(using, names, values)
                row.rank = rank
                rows.append(row)
            else:
                entry = {"id_medicamento": pk, "nome": value} if kind == "medicamento" else {"valor": value}
                found[kind].append({**entry, "total": total})
    for facet in ("status", "especialidade"):
        found[facet].sort(key=lambda entry: (-entry["total"], entry["valor"]))
    rows.sort(key=lambda row: (row.rank, row.data_prescricao, row.id_prescricao), reverse=True)
    hits = [Hit(doc, doc.rank, highlight_document(doc.documento, terms)) for doc in rows[:limit]]
    last = rows[limit - 1] if len(rows) > limit else None
    next_position = Position(last.rank, last.data_prescricao, last.id_prescricao) if last else None
    count = sum(entry["total"] for entry in found["status"])
    return Page(hits=hits, count=count, facets=found, next=next_position)


def _from_db(field, value, connection):
    """A column as the ORM would load it (the JSON document parsed)."""
    convert = getattr(field, "from_db_value", None)
    return value if value is None or convert is None else convert(value, None, connection)
