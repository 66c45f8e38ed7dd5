-- Search over the prescription documents (GET /api/pharmacy/busca/, the admin's search box).
--
-- The documents table gets two STORED generated columns computed from
-- `documento` alone (pharmacy/models.py declares them), so whatever writes a
-- document -- the trigger-mode refresh, the Celery projector, rebuild, repair --
-- recomputes its search columns in the same statement: a search always sees
-- what the document shows, in both sync modes, with no sync code of its own.
--
--   busca        tsvector, configuration pharmacy_pt (Portuguese stemming after
--                unaccent), weighted: A names (patient, doctor, medications),
--                B doctor's CRM and specialty, C address and medication
--                descriptions, D dosages;
--   busca_texto  the unaccented, lower-cased names, CRM, specialty and address,
--                for pg_trgm's typo-tolerant word similarity.
--
-- Generated columns need IMMUTABLE expressions: unaccent() is only STABLE (it
-- looks its dictionary up by name at run time), hence pharmacy_unaccent(), which
-- names the dictionary explicitly. Changing these functions, the configuration
-- or unaccent's rules does not rewrite stored values: verify_read_model
-- compares every stored search column with a recomputation and --repair
-- recomputes the drifted ones (pharmacy_recompute_busca).

-- Portuguese stemming of unaccented words: "João" and "joao" become one lexeme.
CREATE TEXT SEARCH CONFIGURATION pharmacy_pt (COPY = pg_catalog.portuguese);
ALTER TEXT SEARCH CONFIGURATION pharmacy_pt
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, portuguese_stem;

-- plpgsql, not sql: unaccent() is STABLE, so an IMMUTABLE SQL wrapper would not be inlined and
-- would be parsed and planned on every call; plpgsql keeps its expression plan for the session.
CREATE FUNCTION pharmacy_unaccent(value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    RETURN lower(public.unaccent('public.unaccent'::regdictionary, value));
END
$$;

-- The searchable text of a document, one string per weight class: each is one expression of
-- IMMUTABLE parts (`||` and coalesce, not the STABLE concat_ws; lists of values as their JSON
-- text, which the parsers split into words), which PostgreSQL inlines into the plpgsql
-- functions below, whose plans it keeps for the session.
CREATE FUNCTION pharmacy_documento_nomes(d jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(d #>> '{paciente,nome}', '') || ' ' || coalesce(d #>> '{medico,nome}', '') || ' '
        || coalesce(jsonb_path_query_array(d, '$.medicamentos[*].nome') #>> '{}', '')
$$;

CREATE FUNCTION pharmacy_documento_registro(d jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The CRM as written ("CRM12345") and its digits alone ("12345").
    SELECT coalesce(d #>> '{medico,crm}', '') || ' ' || regexp_replace(coalesce(d #>> '{medico,crm}', ''), '\D', '', 'g')
        || ' ' || coalesce(d #>> '{medico,especialidade}', '')
$$;

-- The generated columns' two functions are plpgsql, not inlinable SQL: PostgreSQL plans a generated
-- column's expression at the start of every statement that writes the table, and an inlinable SQL
-- function would be parsed and inlined there each time (most of the cost of a one-document write);
-- a plpgsql call is one node to plan, and plpgsql keeps its own expression plan for the session.
CREATE FUNCTION pharmacy_documento_vetor(d jsonb) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN setweight(to_tsvector('pharmacy_pt', pharmacy_documento_nomes(d)), 'A')
        || setweight(to_tsvector('pharmacy_pt', pharmacy_documento_registro(d)), 'B')
        || setweight(to_tsvector('pharmacy_pt', coalesce(d #>> '{paciente,endereco}', '') || ' '
               || coalesce(jsonb_path_query_array(d, '$.medicamentos[*].descricao ? (@ != null)') #>> '{}', '')), 'C')
        || setweight(to_tsvector('pharmacy_pt',
               coalesce(jsonb_path_query_array(d, '$.medicamentos[*].dosagem') #>> '{}', '')), 'D');
END
$$;

CREATE FUNCTION pharmacy_documento_texto(d jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN pharmacy_unaccent(pharmacy_documento_nomes(d) || ' ' || pharmacy_documento_registro(d) || ' '
                             || coalesce(d #>> '{paciente,endereco}', ''));
END
$$;
