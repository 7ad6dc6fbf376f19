-- Reference data, the estate's to decide (people, cards, qualifications, release rules): rows of
-- the terminals' own reference tables, kept here generically as JSON, one row per (table, key),
-- each change numbered from one sequence. A terminal pulls each table's changes after its own
-- cursor and applies them; LISTEN/NOTIFY wakes it. A later reference table is one row in
-- estate.reference_tables, not new code.

CREATE TABLE estate.reference_tables (
  table_name text PRIMARY KEY CHECK (table_name ~ '^[a-z][a-z0-9_]{0,62}$'),
  -- The terminal table's primary key columns: a row's key is these columns of its data.
  key_columns text[] NOT NULL CHECK (cardinality(key_columns) >= 1),
  -- Terminals apply tables in this order (a table after the ones its rows refer to).
  apply_order integer NOT NULL UNIQUE
);
INSERT INTO estate.reference_tables (table_name, key_columns, apply_order) VALUES
  ('sites', '{id}', 10),
  ('officers', '{id}', 20),
  ('officer_roles', '{officer_id,role}', 30),
  ('cards', '{uid}', 40),
  ('qualifications', '{id}', 50),
  ('officer_qualifications', '{officer_id,qualification_id}', 60),
  ('asset_types', '{id}', 70),
  ('asset_type_requirements', '{asset_type_id,qualification_id}', 80),
  ('asset_type_rules', '{id}', 90);

CREATE SEQUENCE estate.reference_revision;

CREATE TABLE estate.reference_rows (
  table_name text NOT NULL REFERENCES estate.reference_tables(table_name),
  key jsonb NOT NULL,
  -- The row as the terminal's table holds it (column -> value); NULL once deleted.
  data jsonb,
  revision bigint NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, key),
  CHECK (data IS NULL OR jsonb_typeof(data) = 'object')
);
CREATE INDEX reference_rows_by_revision ON estate.reference_rows (table_name, revision);

-- Puts rows into one reference table: each row is inserted, or replaced if its data differs;
-- an unchanged row keeps its revision, so re-importing the same file sends nothing. Returns how
-- many rows changed. One NOTIFY per call (delivered at commit) wakes every terminal.
CREATE FUNCTION estate.put_reference(target text, rows jsonb) RETURNS integer LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
DECLARE
  keys text[];
  r jsonb;
  row_key jsonb;
  changed integer := 0;
  n integer;
BEGIN
  SELECT key_columns INTO keys FROM estate.reference_tables WHERE table_name = target;
  IF keys IS NULL THEN
    RAISE EXCEPTION '% is not an estate reference table', target USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_typeof(rows) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'rows for % must be a JSON array of objects', target USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR r IN SELECT value FROM jsonb_array_elements(rows) LOOP
    IF jsonb_typeof(r) IS DISTINCT FROM 'object' OR NOT (r ?& keys) THEN
      RAISE EXCEPTION 'a row for % lacks its key (%): %', target, array_to_string(keys, ', '), left(r::text, 200) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT jsonb_object_agg(k, r->k) INTO row_key FROM unnest(keys) AS k;
    INSERT INTO estate.reference_rows (table_name, key, data, revision) VALUES (target, row_key, r, nextval('estate.reference_revision'))
      ON CONFLICT (table_name, key) DO UPDATE SET data = EXCLUDED.data, revision = EXCLUDED.revision, changed_at = now()
      WHERE estate.reference_rows.data IS DISTINCT FROM EXCLUDED.data;
    GET DIAGNOSTICS n = ROW_COUNT;
    changed := changed + n;
  END LOOP;
  IF changed > 0 THEN PERFORM pg_notify('estate_reference', target); END IF;
  RETURN changed;
END
$$;

-- Deletes rows by key: the row stays as a tombstone (data NULL) with a new revision, so
-- terminals that have it delete it too.
CREATE FUNCTION estate.delete_reference(target text, row_keys jsonb) RETURNS integer LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
DECLARE
  changed integer;
BEGIN
  UPDATE estate.reference_rows SET data = NULL, revision = nextval('estate.reference_revision'), changed_at = now()
    WHERE table_name = target AND data IS NOT NULL AND key IN (SELECT value FROM jsonb_array_elements(row_keys));
  GET DIAGNOSTICS changed = ROW_COUNT;
  IF changed > 0 THEN PERFORM pg_notify('estate_reference', target); END IF;
  RETURN changed;
END
$$;

GRANT SELECT ON estate.reference_tables, estate.reference_rows TO estate_terminal, estate_reader;
