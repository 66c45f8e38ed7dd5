"""Compare the read models with the source join, column by column, and repair drift.

The source join is the SQL views `pharmacy_fonte_itens` and
`pharmacy_fonte_documentos` (pharmacy/sql/sources.sql), the very views the
triggers and refresh functions read: a read model is correct exactly when it
equals them. Repair recomputes only the prescriptions that drifted, through
`pharmacy.projection.refresh_prescriptions`, which rewrites only differing rows.
"""

from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from pharmacy import projection
from pharmacy.models import ItemDetalhado, PrescricaoDocumento

ROW_COLUMNS = [f.column for f in ItemDetalhado._meta.concrete_fields if f.column != "id"]
DOC_COLUMNS = [
    f.column for f in PrescricaoDocumento._meta.concrete_fields if f.column != "id_prescricao" and not f.generated
]
# The search columns PostgreSQL generates from `documento`, each with the function that computes it: stored
# values go stale when a function, the text-search configuration or unaccent's rules change.
SEARCH_COLUMNS = {"busca": "pharmacy_documento_vetor", "busca_texto": "pharmacy_documento_texto"}


def _tuple(alias: str, columns: list[str]) -> str:
    return "(" + ", ".join(f"{alias}.{column}" for column in columns) + ")"


ROWS_DIFF_SQL = f"""
    SELECT COALESCE(s.id, r.id),
           CASE WHEN r.id IS NULL THEN 'missing' WHEN s.id IS NULL THEN 'extra' ELSE 'different' END,
           s.id_prescricao, r.id_prescricao
    FROM pharmacy_fonte_itens s
    FULL JOIN {ItemDetalhado._meta.db_table} r ON r.id = s.id
    WHERE r.id IS NULL OR s.id IS NULL OR {_tuple("s", ROW_COLUMNS)} IS DISTINCT FROM {_tuple("r", ROW_COLUMNS)}
    ORDER BY 1
"""

DOCS_DIFF_SQL = f"""
    SELECT COALESCE(s.id_prescricao, d.id_prescricao),
           CASE WHEN d.id_prescricao IS NULL THEN 'missing'
                WHEN s.id_prescricao IS NULL THEN 'extra' ELSE 'different' END
    FROM pharmacy_fonte_documentos s
    FULL JOIN {PrescricaoDocumento._meta.db_table} d ON d.id_prescricao = s.id_prescricao
    WHERE d.id_prescricao IS NULL OR s.id_prescricao IS NULL
       OR {_tuple("s", DOC_COLUMNS)} IS DISTINCT FROM {_tuple("d", DOC_COLUMNS)}
       OR {_tuple("d", list(SEARCH_COLUMNS))}
          IS DISTINCT FROM ({", ".join(f"{fn}(s.documento)" for fn in SEARCH_COLUMNS.values())})
    ORDER BY 1
"""

KINDS = ("missing", "extra", "different")


@dataclass
class Drift:
    """What differs between the read models and the source join (ids per kind)."""

    rows: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    documents: dict[str, list[int]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    prescription_ids: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return any(self.rows.values()) or any(self.documents.values())

    def counts(self) -> dict[str, dict[str, int]]:
        return {
            "rows": {kind: len(ids) for kind, ids in self.rows.items()},
            "documents": {kind: len(ids) for kind, ids in self.documents.items()},
        }

    def summary(self, sample: int = 10) -> str:
        lines = []
        for label, table in (("worklist rows", self.rows), ("documents", self.documents)):
            for kind in KINDS:
                ids = table[kind]
                if ids:
                    shown = ", ".join(map(str, ids[:sample])) + (", ..." if len(ids) > sample else "")
                    lines.append(f"{label} {kind}: {len(ids)} (ids {shown})")
        return "\n".join(lines) if lines else "read models equal the source join"


def find_drift(*, using: str = DEFAULT_DB_ALIAS) -> Drift:
    """Diff both read models against the source join (one consistent snapshot per query)."""
    drift = Drift()
    with connections[using].cursor() as cursor:
        cursor.execute(ROWS_DIFF_SQL)
        for row_id, kind, source_prescricao, read_prescricao in cursor.fetchall():
            drift.rows[kind].append(row_id)
            drift.prescription_ids.update(pk for pk in (source_prescricao, read_prescricao) if pk is not None)
        cursor.execute(DOCS_DIFF_SQL)
        for prescricao_id, kind in cursor.fetchall():
            drift.documents[kind].append(prescricao_id)
            drift.prescription_ids.add(prescricao_id)
    return drift


def repair(drift: Drift, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Recompute the prescriptions touched by `drift` (rows already equal are left alone).

    Their documents' search columns are recomputed too: a stale search column
    sits beside a `documento` equal to the source, which the refresh leaves alone.
    """
    with transaction.atomic(using=using):
        projection.refresh_prescriptions(drift.prescription_ids, using=using)
        projection.recompute_search_columns(drift.documents["different"], using=using)
