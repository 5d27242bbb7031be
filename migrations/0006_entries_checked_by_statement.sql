ALTER TABLE "entries" DROP CONSTRAINT "entries_account_fkey";
--> statement-breakpoint
ALTER TABLE "entries" DROP CONSTRAINT "entries_transfer_fkey";
--> statement-breakpoint

-- The entries' two foreign keys were two lookups per entry, inside the timebank's serialised
-- section. The statement-level check below replaces them and says more: each inserted entry
-- belongs to a transfer of its timebank, and to that transfer's payer or payee (accounts that the
-- transfer's own keys guarantee). Transfers are never deleted (ledger_guard_transfers). Then, as
-- before, no entry takes its account past a limit unless its transfer records an override.
CREATE OR REPLACE FUNCTION ledger_check_entry_limits() RETURNS trigger LANGUAGE plpgsql
  SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
AS $$
DECLARE
  broken record;
BEGIN
  SELECT e.account_id, e.transfer_id, e.balance_after_minutes, a.min_balance_minutes, a.max_balance_minutes,
         t.id IS NULL AS orphan,
         t.id IS NOT NULL AND e.account_id NOT IN (t.payer_account_id, t.payee_account_id) AS stranger
    INTO broken
    FROM inserted_entries e
    LEFT JOIN transfers t ON t.timebank_id = e.timebank_id AND t.id = e.transfer_id
    LEFT JOIN accounts a ON a.timebank_id = e.timebank_id AND a.id = e.account_id
   WHERE t.id IS NULL
      OR e.account_id NOT IN (t.payer_account_id, t.payee_account_id)
      OR (NOT t.override_limits AND (
            (e.minutes < 0 AND e.balance_after_minutes < a.min_balance_minutes) OR
            (e.minutes > 0 AND e.balance_after_minutes > a.max_balance_minutes)))
   LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF broken.orphan THEN
    RAISE EXCEPTION 'entry for account % names transfer %, which its timebank does not have',
      broken.account_id, broken.transfer_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF broken.stranger THEN
    RAISE EXCEPTION 'entry for account % is not for the payer or payee of transfer %',
      broken.account_id, broken.transfer_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RAISE EXCEPTION 'entry takes account % to % minutes, outside [%, %]',
    broken.account_id, broken.balance_after_minutes, broken.min_balance_minutes, broken.max_balance_minutes
    USING ERRCODE = 'check_violation';
END $$;
