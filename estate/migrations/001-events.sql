-- The estate's first schema: sites, terminals with a login role each, and every terminal's
-- audit events and signed checkpoints, stored once per (terminal, seq) with each chain link
-- checked as it arrives. Terminals write only through estate.ingest_events and
-- estate.ingest_checkpoint, which take the terminal from the connection's own login role, and
-- read only their own rows (row-level security).

CREATE SCHEMA estate;

DO $$
BEGIN
  -- Roles are the cluster's, not the database's: a second database on the same cluster shares them.
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'estate_terminal') THEN
    CREATE ROLE estate_terminal NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'estate_reader') THEN
    CREATE ROLE estate_reader NOLOGIN;
  END IF;
END
$$;

REVOKE ALL ON SCHEMA estate FROM PUBLIC;
-- Functions are executable by PUBLIC unless revoked: here, only where granted below.
ALTER DEFAULT PRIVILEGES IN SCHEMA estate REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT USAGE ON SCHEMA estate TO estate_terminal, estate_reader;

CREATE TABLE estate.sites (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200)
);

CREATE TABLE estate.terminals (
  id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
  site_id text NOT NULL REFERENCES estate.sites(id),
  -- The login role the terminal connects as; ingest takes the terminal from it.
  role_name name NOT NULL UNIQUE,
  added_at timestamptz NOT NULL DEFAULT now(),
  -- Set when its chain broke: nothing more is taken from it until an administrator looks.
  refused_at timestamptz,
  refused_reason text,
  CHECK ((refused_at IS NULL) = (refused_reason IS NULL))
);

-- One row per terminal audit row, exactly as the terminal hashed it: `at` and `details` are the
-- terminal's text, byte for byte, so the estate recomputes the same hash.
CREATE TABLE estate.events (
  terminal_id text NOT NULL REFERENCES estate.terminals(id),
  seq bigint NOT NULL CHECK (seq >= 1),
  at text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  subject text NOT NULL,
  details text NOT NULL,
  prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (terminal_id, seq)
);
CREATE INDEX events_by_action ON estate.events (action, terminal_id);

CREATE TABLE estate.checkpoints (
  terminal_id text NOT NULL REFERENCES estate.terminals(id),
  seq bigint NOT NULL CHECK (seq >= 1),
  head_hash text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  at text NOT NULL,
  reason text NOT NULL,
  key_fingerprint text NOT NULL,
  signature text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (terminal_id, seq, key_fingerprint)
);

CREATE TABLE estate.exception_kinds (kind text PRIMARY KEY);
INSERT INTO estate.exception_kinds (kind) VALUES
  ('chain-break'),        -- an event that does not follow, link to or match the one before it
  ('chain-conflict'),     -- a second, different event for a (terminal, seq) already stored
  ('checkpoint-mismatch'),-- a signed checkpoint whose head hash is not the stored event's hash
  ('double-draw'),        -- one item drawn at two terminals, neither returned (a partition)
  ('revoked-card-used');  -- a card used at a terminal after the estate revoked it

CREATE TABLE estate.exceptions (
  id bigserial PRIMARY KEY,
  kind text NOT NULL REFERENCES estate.exception_kinds(kind),
  terminal_id text REFERENCES estate.terminals(id),
  seq bigint,
  message text NOT NULL,
  raised_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolved_by text,
  resolution text
);
CREATE INDEX exceptions_open ON estate.exceptions (raised_at) WHERE resolved_at IS NULL;

-- rowHash (main/core/audit-chain.ts), in SQL: SHA-256 over the previous hash and the row.
CREATE FUNCTION estate.row_hash(prev_hash text, seq bigint, at text, actor text, action text, subject text, details text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT
AS $$ SELECT encode(sha256(convert_to(prev_hash || E'\n' || seq || E'\n' || at || E'\n' || actor || E'\n' || action || E'\n' || subject || E'\n' || details, 'UTF8')), 'hex') $$;

-- The terminal this connection logged in as, or NULL.
CREATE FUNCTION estate.my_terminal() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = estate, pg_temp
AS $$ SELECT id FROM estate.terminals WHERE role_name = session_user $$;

-- Refuses the terminal from now on, with an exception saying why; returns the reply ingest gives.
CREATE FUNCTION estate.refuse(terminal estate.terminals, kind text, at_seq bigint, message text, stored_through bigint, stored int)
RETURNS jsonb LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
BEGIN
  UPDATE estate.terminals SET refused_at = now(), refused_reason = message WHERE id = terminal.id;
  INSERT INTO estate.exceptions (kind, terminal_id, seq, message) VALUES (kind, terminal.id, at_seq, message);
  RETURN jsonb_build_object('ok', false, 'refused', message, 'storedThrough', stored_through, 'stored', stored);
END
$$;

-- What the estate derives from one stored event; later migrations replace it as the estate's
-- current-state tables grow. The first derives nothing.
CREATE FUNCTION estate.apply_event(event estate.events) RETURNS void LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$ BEGIN END $$;

-- A batch of the calling terminal's events, in seq order: each stored once, each checked to
-- follow and link to the one before it and to match its own hash. The same event again is
-- skipped (a retry after a lost reply); a different one for a seq already stored, or a gap, a
-- broken link or a wrong hash, refuses the terminal and raises an estate exception. Events
-- before the fault in the same batch are kept. Returns {ok, storedThrough, stored[, refused]}.
CREATE FUNCTION estate.ingest_events(batch jsonb) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = estate, pg_temp
AS $$
DECLARE
  terminal estate.terminals;
  last_seq bigint;
  last_hash text;
  event jsonb;
  row_seq bigint;
  existing text;
  stored_row estate.events;
  stored int := 0;
BEGIN
  -- FOR UPDATE: one ingest at a time per terminal, so two retries racing cannot both append.
  SELECT * INTO terminal FROM estate.terminals WHERE role_name = session_user FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role % is not an estate terminal', session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF jsonb_typeof(batch) IS DISTINCT FROM 'array' THEN
    RAISE EXCEPTION 'a batch of events is a JSON array' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT e.seq, e.hash INTO last_seq, last_hash FROM estate.events e WHERE e.terminal_id = terminal.id ORDER BY e.seq DESC LIMIT 1;
  last_seq := coalesce(last_seq, 0);
  last_hash := coalesce(last_hash, repeat('0', 64));
  IF terminal.refused_at IS NOT NULL THEN
    RETURN jsonb_build_object('ok', false, 'refused', terminal.refused_reason, 'storedThrough', last_seq, 'stored', 0);
  END IF;

  FOR event IN SELECT value FROM jsonb_array_elements(batch) LOOP
    row_seq := (event->>'seq')::bigint;
    IF row_seq IS NULL OR event->>'hash' IS NULL THEN
      RAISE EXCEPTION 'every event has a seq and a hash' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF row_seq <= last_seq THEN
      -- The same event again only if it is the same hash over the same content and link.
      SELECT e.hash INTO existing FROM estate.events e WHERE e.terminal_id = terminal.id AND e.seq = row_seq
        AND e.prev_hash = event->>'prevHash'
        AND e.hash = estate.row_hash(event->>'prevHash', row_seq, event->>'at', event->>'actor', event->>'action', event->>'subject', event->>'details');
      IF existing IS DISTINCT FROM event->>'hash' THEN
        SELECT e.hash INTO existing FROM estate.events e WHERE e.terminal_id = terminal.id AND e.seq = row_seq;
        RETURN estate.refuse(terminal, 'chain-conflict', row_seq,
          format('Terminal %s sent a second, different event %s: the estate keeps the first (%s…), the terminal''s chain has been rewritten.', terminal.id, row_seq, left(existing, 12)),
          last_seq, stored);
      END IF;
      CONTINUE;
    END IF;
    IF row_seq <> last_seq + 1 THEN
      RETURN estate.refuse(terminal, 'chain-break', row_seq,
        format('Terminal %s sent event %s after event %s: events %s to %s are missing.', terminal.id, row_seq, last_seq, last_seq + 1, row_seq - 1),
        last_seq, stored);
    END IF;
    IF event->>'prevHash' IS DISTINCT FROM last_hash THEN
      RETURN estate.refuse(terminal, 'chain-break', row_seq,
        format('Terminal %s event %s does not link to event %s: its chain is broken there.', terminal.id, row_seq, last_seq),
        last_seq, stored);
    END IF;
    IF estate.row_hash(last_hash, row_seq, event->>'at', event->>'actor', event->>'action', event->>'subject', event->>'details') IS DISTINCT FROM event->>'hash' THEN
      RETURN estate.refuse(terminal, 'chain-break', row_seq,
        format('Terminal %s event %s does not match its own hash: its content was changed.', terminal.id, row_seq),
        last_seq, stored);
    END IF;
    INSERT INTO estate.events (terminal_id, seq, at, actor, action, subject, details, prev_hash, hash)
      VALUES (terminal.id, row_seq, event->>'at', event->>'actor', event->>'action', event->>'subject', event->>'details', last_hash, event->>'hash')
      RETURNING * INTO stored_row;
    PERFORM estate.apply_event(stored_row);
    last_seq := row_seq;
    last_hash := event->>'hash';
    stored := stored + 1;
  END LOOP;
  RETURN jsonb_build_object('ok', true, 'storedThrough', last_seq, 'stored', stored);
END
$$;

-- One signed checkpoint of the calling terminal's chain, after the events it covers. Stored
-- once; a head hash that is not the stored event's hash at that seq raises an exception. (The
-- signature is kept for an investigator to check offline against the terminal's key.)
CREATE FUNCTION estate.ingest_checkpoint(checkpoint jsonb) RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = estate, pg_temp
AS $$
DECLARE
  caller text := estate.my_terminal();
  cp_seq bigint := (checkpoint->>'seq')::bigint;
  stored_hash text;
BEGIN
  IF caller IS NULL THEN
    RAISE EXCEPTION 'role % is not an estate terminal', session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT e.hash INTO stored_hash FROM estate.events e WHERE e.terminal_id = caller AND e.seq = cp_seq;
  IF stored_hash IS NULL THEN
    RETURN jsonb_build_object('ok', false, 'wait', format('event %s is not stored yet', cp_seq));
  END IF;
  IF stored_hash IS DISTINCT FROM checkpoint->>'headHash' THEN
    INSERT INTO estate.exceptions (kind, terminal_id, seq, message) VALUES ('checkpoint-mismatch', caller, cp_seq,
      format('Terminal %s signed a checkpoint at event %s whose head hash is not the event the estate holds.', caller, cp_seq));
  END IF;
  INSERT INTO estate.checkpoints (terminal_id, seq, head_hash, at, reason, key_fingerprint, signature)
    VALUES (caller, cp_seq, checkpoint->>'headHash', checkpoint->>'at', checkpoint->>'reason', checkpoint->>'keyFingerprint', checkpoint->>'signature')
    ON CONFLICT DO NOTHING;
  RETURN jsonb_build_object('ok', true);
END
$$;

-- Terminals read only their own events and checkpoints; the control room's reader reads all.
ALTER TABLE estate.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE estate.checkpoints ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_events ON estate.events FOR SELECT TO estate_terminal USING (terminal_id = estate.my_terminal());
CREATE POLICY own_checkpoints ON estate.checkpoints FOR SELECT TO estate_terminal USING (terminal_id = estate.my_terminal());
CREATE POLICY all_events ON estate.events FOR SELECT TO estate_reader USING (true);
CREATE POLICY all_checkpoints ON estate.checkpoints FOR SELECT TO estate_reader USING (true);

REVOKE ALL ON ALL TABLES IN SCHEMA estate FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA estate FROM PUBLIC;
GRANT SELECT ON estate.events, estate.checkpoints TO estate_terminal;
GRANT EXECUTE ON FUNCTION estate.ingest_events(jsonb), estate.ingest_checkpoint(jsonb), estate.my_terminal() TO estate_terminal;
GRANT SELECT ON ALL TABLES IN SCHEMA estate TO estate_reader;
