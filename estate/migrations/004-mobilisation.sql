-- The estate's mobilisation picture and its C2 feed, and reference revisions in commit order.
--
-- Reference revisions in commit order: a terminal pulls the rows after the highest revision it
-- has seen, so a revision must never become visible after a higher one. Every write to
-- reference_rows first takes one transaction-scoped advisory lock (a BEFORE STATEMENT trigger
-- fires before the statement draws its revisions from the sequence), so writers take their
-- revisions one transaction at a time and commit in that order.
CREATE FUNCTION estate.reference_writer_lock() RETURNS trigger LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('estate.reference_rows'));
  RETURN NULL;
END
$$;
CREATE TRIGGER reference_rows_one_writer BEFORE INSERT OR UPDATE OR DELETE ON estate.reference_rows
  FOR EACH STATEMENT EXECUTE FUNCTION estate.reference_writer_lock();

-- Which row of the reference data's `sites` table is this estate site: officers' home sites
-- (officers.site_id) are reference ids, terminals' sites are estate ids; this joins the two.
ALTER TABLE estate.sites ADD COLUMN reference_site_id bigint UNIQUE;

-- What the mobilisation picture reads of the holdings: where each item was drawn, by whom.
CREATE VIEW estate.mobilisation_holdings AS
  SELECT t.site_id, h.terminal_id, h.officer_id, h.asset_type, h.serial, h.drawn_at
    FROM estate.holdings h JOIN estate.terminals t ON t.id = h.terminal_id;

-- The estate's sites as the mobilisation groups them (no credentials, no refusal details).
CREATE VIEW estate.mobilisation_sites AS
  SELECT id, name, reference_site_id FROM estate.sites;

-- A terminal's console shows the estate scope: the whole picture, read only.
GRANT SELECT ON estate.mobilisation_holdings, estate.mobilisation_sites TO estate_terminal, estate_reader;

-- Wakes the C2 publisher when anyone's holdings change (one notification per transaction).
CREATE FUNCTION estate.holdings_changed() RETURNS trigger LANGUAGE plpgsql SET search_path = estate, pg_temp
AS $$
BEGIN
  PERFORM pg_notify('estate_holdings', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER holdings_notify AFTER INSERT OR DELETE ON estate.holdings
  FOR EACH STATEMENT EXECUTE FUNCTION estate.holdings_changed();

-- The estate's C2 feed: its sequence (strictly increasing across restarts) and what it last
-- delivered, written only by the publisher's role.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'estate_c2') THEN
    CREATE ROLE estate_c2 NOLOGIN;
  END IF;
END
$$;
GRANT estate_reader TO estate_c2;

CREATE TABLE estate.c2_feed (
  id integer PRIMARY KEY CHECK (id = 1),
  sequence bigint NOT NULL DEFAULT 0,
  -- SHA-256 of the last picture delivered (types and totals), so an unchanged picture is not sent again.
  delivered_sha256 text,
  delivered_at timestamptz,
  last_error text
);
INSERT INTO estate.c2_feed (id) VALUES (1);
GRANT SELECT ON estate.c2_feed TO estate_reader;
GRANT UPDATE ON estate.c2_feed TO estate_c2;
