ALTER TABLE "transfers" DROP CONSTRAINT "transfers_timebank_id_timebanks_id_fk";
--> statement-breakpoint

-- The limits check runs once per statement over the entries it inserted, not once per entry: a
-- ledger write inserts every entry of a group of transfers in one statement, and a check per row
-- was two lookups and a trigger call per entry inside the timebank's serialised section.
-- Lookups by key only (the function's settings): the transition table has no statistics, and a
-- hash join would read every account of the timebank to check a few entries.
CREATE OR REPLACE FUNCTION ledger_check_entry_limits() RETURNS trigger LANGUAGE plpgsql
  SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
AS $$
DECLARE
  broken record;
BEGIN
  SELECT e.account_id, e.balance_after_minutes, a.min_balance_minutes, a.max_balance_minutes INTO broken
    FROM inserted_entries e
    JOIN accounts a ON a.timebank_id = e.timebank_id AND a.id = e.account_id
   WHERE ((e.minutes < 0 AND e.balance_after_minutes < a.min_balance_minutes) OR
          (e.minutes > 0 AND e.balance_after_minutes > a.max_balance_minutes))
     AND NOT EXISTS (SELECT 1 FROM transfers t
                      WHERE t.timebank_id = e.timebank_id AND t.id = e.transfer_id AND t.override_limits)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'entry takes account % to % minutes, outside [%, %]',
      broken.account_id, broken.balance_after_minutes, broken.min_balance_minutes, broken.max_balance_minutes
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER entries_within_limits ON entries;
--> statement-breakpoint
CREATE TRIGGER entries_within_limits AFTER INSERT ON entries
  REFERENCING NEW TABLE AS inserted_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entry_limits();
