ALTER TABLE "transfers" DROP CONSTRAINT "transfers_payer_fkey";
--> statement-breakpoint
ALTER TABLE "transfers" DROP CONSTRAINT "transfers_payee_fkey";
--> statement-breakpoint

-- The payer's and payee's foreign keys were two lookups per transfer inside the timebank's
-- serialised section. Checked once per statement instead: both accounts exist in the transfer's
-- timebank. A transfer's parties never change (ledger_guard_transfers), and accounts are never
-- deleted (below), so the check at insert holds for ever.
CREATE FUNCTION ledger_check_transfer_parties() RETURNS trigger LANGUAGE plpgsql
  SET enable_hashjoin = off SET enable_mergejoin = off SET enable_seqscan = off
AS $$
DECLARE
  broken record;
BEGIN
  SELECT t.id, t.payer_account_id, t.payee_account_id INTO broken
    FROM inserted_transfers t
   WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.timebank_id = t.timebank_id AND a.id = t.payer_account_id)
      OR NOT EXISTS (SELECT 1 FROM accounts a WHERE a.timebank_id = t.timebank_id AND a.id = t.payee_account_id)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'transfer % names an account its timebank does not have (payer %, payee %)',
      broken.id, broken.payer_account_id, broken.payee_account_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER transfers_parties_exist AFTER INSERT ON transfers
  REFERENCING NEW TABLE AS inserted_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_transfer_parties();
--> statement-breakpoint
CREATE TRIGGER accounts_never_deleted BEFORE DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
