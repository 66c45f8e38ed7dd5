"""The search (`pharmacy.search`): Portuguese words, accents, stems, prefixes, typos, filters, facets, order.

Every test reads through the search function over the read model; the
corpus is written through the commands, so the sync fills the search columns.
"""

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Q

from hospital import commands as master
from hospital.specialties import Especialidade
from pharmacy.search import MEDICATION_FACET_SIZE, Filters, Position, _ranked, matching, parse_terms, search
from pharmacy.search_highlight import highlight_document
from pharmacy.verify import find_drift, repair
from prescriptions import commands
from prescriptions.rules import ItemInput


def _prescribe(medico, paciente, itens, when):
    return commands.create_prescription(
        id_medico=medico.pk, id_paciente=paciente.pk, data_prescricao=when, medicamentos=[ItemInput(*i) for i in itens]
    ).pk


@pytest.fixture
def corpus(article_prescription, cardiologista, oncologista, paciente, aspirina, paracetamol, quimio):
    """Five prescriptions: the article's, plus Portuguese names with accents, one of them cancelled."""
    jose = master.register_patient(
        nome="José Antônio Conceição", data_nascimento=dt.date(1950, 3, 2), endereco="Avenida São João, 45"
    )
    lucia = master.register_patient(nome="Lúcia Araújo", data_nascimento=dt.date(2001, 9, 30))
    pediatra = master.register_doctor(nome="Dra. Fátima Gonçalves", especialidade=Especialidade.PEDIATRIA, crm="CRM777")
    dipirona = master.register_medication(nome="Dipirona", descricao="Analgésico e antitérmico")
    day = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)
    ids = {
        "artigo": article_prescription.pk,
        "jose_quimio": _prescribe(oncologista, jose, [(quimio.pk, "09:00", "50mg")], day),
        "jose_dipirona": _prescribe(cardiologista, jose, [(dipirona.pk, "06:00", "1g")], day + dt.timedelta(days=1)),
        "lucia": _prescribe(pediatra, lucia, [(paracetamol.pk, "12:00", "200mg")], day + dt.timedelta(days=2)),
        "cancelada": _prescribe(pediatra, paciente, [(dipirona.pk, "22:00", "500mg")], day + dt.timedelta(days=3)),
    }
    commands.cancel_prescription(id_prescricao=ids["cancelada"], motivo="Troca de medicamento")
    return ids


def _ids(q, **filters):
    return [hit.document.id_prescricao for hit in search(q, Filters(**filters), limit=100).hits]


@pytest.mark.parametrize(
    "q,expected",
    [
        # Accents and case are ignored.
        ("João", {"artigo", "jose_quimio", "jose_dipirona"}),  # the doctor of two, the address of two
        ("joao", {"artigo", "jose_quimio", "jose_dipirona"}),
        ("CONCEICAO", {"jose_quimio", "jose_dipirona"}),
        ("Conceição", {"jose_quimio", "jose_dipirona"}),
        ("lucia araujo", {"lucia"}),
        ("fatima goncalves", {"lucia", "cancelada"}),
        ("avenida sao joao", {"jose_quimio", "jose_dipirona"}),
        # Portuguese stemming.
        ("cardiologista", {"artigo", "jose_dipirona"}),  # stem of Cardiologia
        ("analgésicos", {"artigo", "jose_dipirona", "lucia", "cancelada"}),  # medications' descriptions
        ("antitérmicos", {"jose_dipirona", "cancelada"}),
        # Prefixes match as the user types.
        ("parac", {"artigo", "lucia"}),
        ("Oliv", {"artigo", "cancelada"}),
        ("ciclofos", {"jose_quimio"}),
        ("crm12", {"artigo", "jose_dipirona"}),
        ("12345", {"artigo", "jose_dipirona"}),  # the CRM's digits alone
        # Typos are tolerated.
        ("Paracetmol", {"artigo", "lucia"}),
        ("Joao Slva", {"artigo", "jose_dipirona"}),
        ("Concieção", {"jose_quimio", "jose_dipirona"}),
        ("maria oliviera aspirna", {"artigo"}),
    ],
)
def test_accents_case_stems_prefixes_and_typos_still_find_the_prescription(corpus, q, expected):
    assert sorted(_ids(q)) == sorted(corpus[k] for k in expected)


def test_every_word_must_match_and_stop_words_do_not_count(corpus):
    assert _ids("maria ciclofosfamida") == []
    assert _ids("josé da conceição de são joão") == _ids("josé conceição são joão") != []
    assert _ids("xyzzy") == []


def test_the_articles_query_finds_its_prescription_with_highlights(corpus):
    page = search("joao silva paracetmol")
    assert [hit.document.id_prescricao for hit in page.hits] == [corpus["artigo"]]
    assert page.hits[0].highlights == {
        "medico.nome": "Dr. <mark>João</mark> <mark>Silva</mark>",
        "medicamentos[1].nome": "<mark>Paracetamol</mark>",
    }


def test_exact_matches_rank_above_typo_matches_then_newest_first(corpus, paracetamol):
    near_miss = master.register_medication(nome="Paracetamal", descricao=None)  # found by similarity only
    jose = master.register_patient(nome="Zé Ninguém", data_nascimento=dt.date(1970, 1, 1))
    typo_only = _prescribe(
        master.register_doctor(nome="Dr. X", especialidade=Especialidade.PEDIATRIA, crm="CRM1"),
        jose,
        [(near_miss.pk, "08:00", "1mg")],
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    )
    ranked = _ids("paracetamol")
    # Both exact matches first (the newest, lucia, before the article's), the near miss last.
    assert ranked == [corpus["lucia"], corpus["artigo"], typo_only]


def test_filters_combine_with_the_words(corpus, quimio):
    everyone = set(corpus.values())
    assert set(_ids("")) == everyone
    assert _ids("", status="cancelada") == [corpus["cancelada"]]
    assert sorted(_ids("dipirona", status="ativa")) == [corpus["jose_dipirona"]]
    assert sorted(_ids("", especialidade="Pediatria")) == sorted([corpus["lucia"], corpus["cancelada"]])
    assert _ids("", id_medicamento=quimio.pk) == [corpus["jose_quimio"]]
    patient = commands.Prescricao.objects.get(pk=corpus["lucia"]).paciente_id
    assert _ids("", id_paciente=patient) == [corpus["lucia"]]
    # 2024-03-02 in São Paulo: 03:00 UTC that day to 03:00 UTC the next.
    start = dt.datetime(2024, 3, 2, 3, 0, tzinfo=dt.UTC)
    assert _ids("", desde=start, ate=start + dt.timedelta(days=1)) == [corpus["jose_dipirona"]]


def test_facets_count_every_match_not_only_the_page(corpus, aspirina, paracetamol):
    page = search("analgesico", limit=1)
    assert len(page.hits) == 1
    assert page.count == 4
    assert page.facets["status"] == [{"valor": "ativa", "total": 3}, {"valor": "cancelada", "total": 1}]
    assert page.facets["especialidade"] == [
        {"valor": "Cardiologia", "total": 2},
        {"valor": "Pediatria", "total": 2},
    ]
    dipirona = commands.Prescricao.objects.get(pk=corpus["cancelada"]).itens.get().medicamento_id
    assert page.facets["medicamento"] == [
        {"id_medicamento": dipirona, "nome": "Dipirona", "total": 2},
        {"id_medicamento": paracetamol.pk, "nome": "Paracetamol", "total": 2},
        {"id_medicamento": aspirina.pk, "nome": "Aspirina", "total": 1},
    ]


def test_a_cancelled_prescription_is_found_with_its_status(corpus):
    (hit,) = search("fatima dipirona").hits
    assert hit.document.id_prescricao == corpus["cancelada"]
    assert hit.document.status == "cancelada"
    assert hit.document.documento["status"] == "cancelada"


def test_cursor_pages_walk_every_hit_once_in_order(corpus):
    everything = _ids("")
    walked, after = [], None
    while True:
        page = search("", after=after, limit=2)
        walked += [hit.document.id_prescricao for hit in page.hits]
        if page.next is None:
            break
        after = Position.decode(page.next.encode())
    assert walked == everything and len(walked) == 5


def test_a_rename_reaches_the_results_in_trigger_mode(corpus, cardiologista):
    master.update_doctor(
        id_medico=cardiologista.pk,
        nome="Dr. Joaquim Barbosa",
        especialidade=cardiologista.especialidade,
        crm="CRM12345",
    )
    assert _ids("silva") == []
    assert sorted(_ids("joaquim barbosa")) == sorted([corpus["artigo"], corpus["jose_dipirona"]])


def test_search_reads_only_the_read_model(corpus):
    """With the write tables renamed away (rolled back with the test), search still answers."""
    with connection.cursor() as cursor:
        for table in ("medicos", "pacientes", "medicamentos", "prescricoes", "prescricao_medicamentos"):
            cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_unreachable")
    page = search("joao slva", Filters(status="ativa"))
    assert sorted(hit.document.id_prescricao for hit in page.hits) == sorted(
        [corpus["artigo"], corpus["jose_dipirona"]]
    )


def test_verify_reports_and_repairs_stale_search_columns(corpus):
    """Search columns go stale when their function changes without a rebuild; verify sees it, repair fixes it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION pharmacy_documento_texto(d jsonb) RETURNS text "
            "LANGUAGE sql IMMUTABLE AS $$ SELECT 'nova versao ' || pharmacy_unaccent(d #>> '{paciente,nome}') $$"
        )
    drift = find_drift()
    assert sorted(drift.documents["different"]) == sorted(corpus.values())
    repair(drift)
    assert not find_drift()
    assert _ids("nova versao lucia") == [corpus["lucia"]]


def _orm_page(q, filters, after, limit):
    """The page as the ORM alone answers it: ranked matches ordered and cut, facets counted in Python."""
    terms = parse_terms(q)
    ranked = _ranked(matching(terms, filters), terms)
    if after is not None:
        rank, when, pk = after.rank, after.data_prescricao, after.id_prescricao
        ranked = ranked.filter(
            Q(rank__lt=rank)
            | Q(rank=rank, data_prescricao__lt=when)
            | Q(rank=rank, data_prescricao=when, id_prescricao__lt=pk)
        )
    rows = list(ranked.order_by("-rank", "-data_prescricao", "-id_prescricao")[: limit + 1])
    documents = [doc.documento for doc in matching(terms, filters)]
    medications = Counter()
    names = {}
    for documento in documents:
        for item in {m["id_medicamento"]: m for m in documento["medicamentos"]}.values():
            medications[item["id_medicamento"]] += 1
            names[item["id_medicamento"]] = min(item["nome"], names.get(item["id_medicamento"], item["nome"]))

    def counted(values):
        return sorted(
            ({"valor": v, "total": n} for v, n in Counter(values).items()), key=lambda e: (-e["total"], e["valor"])
        )

    facets = {
        "status": counted(d["status"] for d in documents),
        "especialidade": counted(d["medico"]["especialidade"] for d in documents),
        "medicamento": sorted(
            ({"id_medicamento": pk, "nome": names[pk], "total": n} for pk, n in medications.items()),
            key=lambda e: (-e["total"], e["nome"]),
        )[:MEDICATION_FACET_SIZE],
    }
    hits = [
        (
            doc.id_prescricao,
            doc.rank,
            doc.status,
            doc.data_prescricao,
            doc.documento,
            highlight_document(doc.documento, terms),
        )
        for doc in rows[:limit]
    ]
    last = rows[limit - 1] if len(rows) > limit else None
    return hits, len(documents), facets, (last.rank, last.data_prescricao, last.id_prescricao) if last else None


@pytest.mark.parametrize(
    "q,filters",
    [
        ("joao silva paracetmol", {}),
        ("João", {}),
        ("CONCEICAO avenida", {}),
        ("Concieção", {"status": "ativa"}),
        ("analgésicos", {}),
        ("analgesico", {"status": "cancelada"}),
        ("maria oliviera aspirna", {}),
        ("fatima dipirona", {"especialidade": "Pediatria"}),
        ("12345", {}),
        ("crm12 parac", {}),
        ("", {}),
        ("", {"especialidade": "Cardiologia"}),
        ("xyzzy", {}),
        ("josé da conceição de são joão", {}),
    ],
)
def test_one_statement_answers_what_the_orm_queries_answered(corpus, quimio, q, filters):
    """Page, ranks, highlights, count, facets and cursor, page after page, equal to the ORM's own queries."""
    after = None
    for _ in range(10):
        page = search(q, Filters(**filters), after=after, limit=2)
        hits, count, facets, last = _orm_page(q, Filters(**filters), after, 2)
        got = [
            (
                h.document.id_prescricao,
                h.rank,
                h.document.status,
                h.document.data_prescricao,
                h.document.documento,
                h.highlights,
            )
            for h in page.hits
        ]
        assert (got, page.count, page.facets) == (hits, count, facets)
        assert (
            None if page.next is None else (page.next.rank, page.next.data_prescricao, page.next.id_prescricao)
        ) == last
        if page.next is None:
            break
        after = Position.decode(page.next.encode())


def _index_conditions(q: str, filters: Filters) -> list[str]:
    """The conditions the plan of the search's match hands to vw_docs_busca.

    Sequential and plain index scans are off: on this tiny corpus, reading the whole table, or the
    list's cursor index and filtering, can cost the planner less than any search index.
    """
    sql, params = matching(parse_terms(q), filters).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
    found, nodes = [], [plan]
    while nodes:
        node = nodes.pop()
        if node.get("Index Name") == "vw_docs_busca":
            found.append(node["Index Cond"])
        nodes.extend(node.get("Plans", []))
    return found


def test_a_specialty_filter_is_answered_inside_the_search_index(corpus):
    """The specialty is the search index's second column: the words and the specialty meet in the index."""
    assert search("dipirona", Filters(especialidade="Pediatria")).count == 1
    (condition,) = _index_conditions("12345", Filters(especialidade="Pediatria"))
    assert "busca @@" in condition and "(documento #>> '{medico,especialidade}'::text[]) = 'Pediatria'" in condition
