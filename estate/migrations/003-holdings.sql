-- Current state derived from the events as they are stored: who holds what, at which terminal,
-- since when. A loan begins with `draw.completed` and ends with `return.completed` (the door
-- intents' audit rows, which carry the item's serial and type). The same serial drawn at a
-- second terminal while the first still holds it (two terminals cut off from each other, or
-- an item moved without a return) is kept as two holdings and raised as a `double-draw`
-- estate exception: neither record is overwritten. A sign-in with a card the estate had
-- already revoked (a terminal that had not synced, or was cut off) is raised as
-- `revoked-card-used`: the terminal's record of it stands.

CREATE TABLE estate.holdings (
  terminal_id text NOT NULL REFERENCES estate.terminals(id),
  loan_id bigint NOT NULL,
  serial text,
  asset_type text,
  officer_id bigint NOT NULL,
  drawn_at text NOT NULL,
  -- ISO-8601 UTC text, as the terminal wrote it; NULL: no due time.
  due_at text,
  drawn_seq bigint NOT NULL,
  PRIMARY KEY (terminal_id, loan_id)
);
CREATE INDEX holdings_by_serial ON estate.holdings (serial) WHERE serial IS NOT NULL;
CREATE INDEX holdings_by_officer ON estate.holdings (officer_id);

CREATE OR REPLACE FUNCTION estate.apply_event(event estate.events) RETURNS void LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
DECLARE
  details jsonb := event.details::jsonb;
  loan bigint := (details->>'loan')::bigint;
  other estate.holdings;
BEGIN
  IF event.action = 'draw.completed' AND loan IS NOT NULL THEN
    SELECT * INTO other FROM estate.holdings h WHERE h.serial = details->>'serial' AND h.terminal_id <> event.terminal_id LIMIT 1;
    IF FOUND THEN
      INSERT INTO estate.exceptions (kind, terminal_id, seq, message) VALUES ('double-draw', event.terminal_id, event.seq,
        format('%s %s was drawn at terminal %s (event %s) while terminal %s still shows it drawn (since %s, event %s): both records are kept.',
          coalesce(details->>'type', 'Item'), details->>'serial', event.terminal_id, event.seq, other.terminal_id, other.drawn_at, other.drawn_seq));
    END IF;
    INSERT INTO estate.holdings (terminal_id, loan_id, serial, asset_type, officer_id, drawn_at, due_at, drawn_seq)
      VALUES (event.terminal_id, loan, details->>'serial', details->>'type', (details->>'officer')::bigint, event.at, details->>'due', event.seq)
      ON CONFLICT (terminal_id, loan_id) DO NOTHING;
  ELSIF event.action = 'return.completed' AND loan IS NOT NULL THEN
    DELETE FROM estate.holdings h WHERE h.terminal_id = event.terminal_id AND h.loan_id = loan;
  ELSIF event.action = 'auth.signed-in' AND event.subject LIKE 'card:%' THEN
    -- ISO-8601 UTC text on both sides, so text order is time order.
    PERFORM 1 FROM estate.reference_rows c
      WHERE c.table_name = 'cards' AND c.key = jsonb_build_object('uid', substr(event.subject, 6))
        AND c.data->>'revoked_at' IS NOT NULL AND c.data->>'revoked_at' <= event.at;
    IF FOUND THEN
      INSERT INTO estate.exceptions (kind, terminal_id, seq, message) VALUES ('revoked-card-used', event.terminal_id, event.seq,
        format('Card %s signed in at terminal %s at %s, after the estate revoked it: the terminal had not yet synced.', substr(event.subject, 6), event.terminal_id, event.at));
    END IF;
  END IF;
END
$$;

-- Who holds what, anywhere: with the site, and the officer as the estate's reference data names them.
CREATE VIEW estate.holdings_now AS
  SELECT t.site_id, h.terminal_id, h.serial, h.asset_type, h.officer_id,
         o.data->>'collar_number' AS collar_number, o.data->>'display_name' AS display_name, h.drawn_at, h.due_at,
         -- The estate's clock, in the terminals' ISO-8601 UTC text, so text order is time order.
         h.due_at IS NOT NULL AND h.due_at < to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS overdue
    FROM estate.holdings h
    JOIN estate.terminals t ON t.id = h.terminal_id
    LEFT JOIN estate.reference_rows o ON o.table_name = 'officers' AND o.key = jsonb_build_object('id', h.officer_id) AND o.data IS NOT NULL;

-- Armed now: items out per site and type, with each site's total and the estate's.
CREATE VIEW estate.out_now AS
  SELECT CASE WHEN grouping(t.site_id) = 1 THEN '(estate)' ELSE t.site_id END AS site_id,
         CASE WHEN grouping(h.asset_type) = 1 THEN '(all)' ELSE coalesce(h.asset_type, '(not recorded)') END AS asset_type,
         count(*) AS items_out, count(DISTINCT h.officer_id) AS officers
    FROM estate.holdings h JOIN estate.terminals t ON t.id = h.terminal_id
   GROUP BY GROUPING SETS ((t.site_id, h.asset_type), (t.site_id), ());

GRANT SELECT ON estate.holdings, estate.holdings_now, estate.out_now TO estate_reader;
