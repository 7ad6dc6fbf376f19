-- Each reference row also kept as the JSON a terminal's pull sends (`[table, key, data,
-- revision]`, the key only with a deletion), made once when the row is written instead of
-- again for every terminal that pulls it: a change fanned out to 90 terminals was 90
-- conversions of every row from jsonb to text.
ALTER TABLE estate.reference_rows ADD COLUMN wire text;

CREATE FUNCTION estate.reference_wire() RETURNS trigger LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
BEGIN
  NEW.wire := json_build_array(NEW.table_name, CASE WHEN NEW.data IS NULL THEN NEW.key END, NEW.data, NEW.revision)::text;
  RETURN NEW;
END
$$;
CREATE TRIGGER reference_rows_wire BEFORE INSERT OR UPDATE ON estate.reference_rows
  FOR EACH ROW EXECUTE FUNCTION estate.reference_wire();

UPDATE estate.reference_rows SET wire = NULL;
ALTER TABLE estate.reference_rows ALTER COLUMN wire SET NOT NULL;

-- put_reference as one statement instead of one per row (a 10,000-row import put in a fraction
-- of the time). Same contract as migration 2's: every row inserted, or replaced if its data
-- differs; an unchanged row keeps its revision; within one call the last row given for a key
-- wins; one NOTIFY per call that changed anything.
CREATE OR REPLACE FUNCTION estate.put_reference(target text, rows jsonb) RETURNS integer LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
DECLARE
  keys text[];
  bad jsonb;
  changed integer;
BEGIN
  SELECT key_columns INTO keys FROM estate.reference_tables WHERE table_name = target;
  IF keys IS NULL THEN
    RAISE EXCEPTION '% is not an estate reference table', target USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_typeof(rows) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'rows for % must be a JSON array of objects', target USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT r INTO bad FROM jsonb_array_elements(rows) AS r WHERE jsonb_typeof(r) IS DISTINCT FROM 'object' OR NOT (r ?& keys) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'a row for % lacks its key (%): %', target, array_to_string(keys, ', '), left(bad::text, 200) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  WITH given AS (
    SELECT DISTINCT ON (k.key) k.key, e.value AS data
      FROM jsonb_array_elements(rows) WITH ORDINALITY AS e(value, n)
      CROSS JOIN LATERAL (SELECT jsonb_object_agg(c, e.value -> c) AS key FROM unnest(keys) AS c) k
     ORDER BY k.key, e.n DESC
  ), written AS (
    INSERT INTO estate.reference_rows (table_name, key, data, revision)
    SELECT target, g.key, g.data, nextval('estate.reference_revision') FROM given g
    ON CONFLICT (table_name, key) DO UPDATE SET data = EXCLUDED.data, revision = EXCLUDED.revision, changed_at = now()
      WHERE estate.reference_rows.data IS DISTINCT FROM EXCLUDED.data
    RETURNING 1
  )
  SELECT count(*) INTO changed FROM written;
  IF changed > 0 THEN PERFORM pg_notify('estate_reference', target); END IF;
  RETURN changed;
END
$$;
