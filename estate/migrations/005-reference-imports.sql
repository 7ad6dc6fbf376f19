-- HR and training files imported in the estate (main/estate/estate-import.ts): one row per file,
-- what the terminal's import code said of it and what it changed, for whoever asks later where a
-- record came from.
CREATE TABLE estate.reference_imports (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('personnel', 'training')),
  file_name text NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  status text NOT NULL CHECK (status IN ('applied', 'rejected', 'unchanged')),
  rows integer NOT NULL,
  changed integer NOT NULL,
  -- The problems found (for a rejected file) and the rows put and deleted per table.
  report jsonb NOT NULL,
  imported_at timestamptz NOT NULL
);
GRANT SELECT ON estate.reference_imports TO estate_reader;
