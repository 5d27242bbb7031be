-- Ledger integrity enforced by the schema, beside the checks in the domain code.

-- Every existing timebank gets the head of its hash chain.
INSERT INTO ledger_heads (timebank_id, last_sequence, last_hash, last_posted_at)
SELECT id, 0, repeat('0', 64), created_at FROM timebanks
ON CONFLICT DO NOTHING;
--> statement-breakpoint

-- Posted, rejected and expired transfers never change; a pending one changes only its status
-- and the fields that record how it was resolved. Nothing is ever deleted.
CREATE FUNCTION ledger_guard_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'transfers are never deleted (transfer %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.status <> 'pending' THEN
    RAISE EXCEPTION 'transfer % is %, and immutable', OLD.id, OLD.status
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF (NEW.timebank_id, NEW.id, NEW.payer_account_id, NEW.payee_account_id, NEW.minutes,
      NEW.description, NEW.category_id, NEW.request_id, NEW.offer_id, NEW.created_by_type,
      NEW.created_by_id, NEW.brokered, NEW.reverses_transfer_id, NEW.reason, NEW.override_limits,
      NEW.created_at, NEW.auto_confirm_at)
     IS DISTINCT FROM
     (OLD.timebank_id, OLD.id, OLD.payer_account_id, OLD.payee_account_id, OLD.minutes,
      OLD.description, OLD.category_id, OLD.request_id, OLD.offer_id, OLD.created_by_type,
      OLD.created_by_id, OLD.brokered, OLD.reverses_transfer_id, OLD.reason, OLD.override_limits,
      OLD.created_at, OLD.auto_confirm_at) THEN
    RAISE EXCEPTION 'a pending transfer changes only its status (transfer %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER transfers_guard BEFORE UPDATE OR DELETE ON transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_guard_transfers();
--> statement-breakpoint

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % is refused: the ledger is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
--> statement-breakpoint
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint

-- No entry takes an account past its limits in the direction it moves, unless its transfer
-- records a coordinator's override. An AFTER trigger, so that it sees the transfer inserted by
-- the same statement.
CREATE FUNCTION ledger_check_entry_limits() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  floor_minutes bigint;
  cap_minutes bigint;
  overridden boolean;
BEGIN
  SELECT min_balance_minutes, max_balance_minutes INTO floor_minutes, cap_minutes
    FROM accounts WHERE timebank_id = NEW.timebank_id AND id = NEW.account_id;
  SELECT override_limits INTO overridden
    FROM transfers WHERE timebank_id = NEW.timebank_id AND id = NEW.transfer_id;
  IF NOT coalesce(overridden, false) AND (
       (NEW.minutes < 0 AND NEW.balance_after_minutes < floor_minutes) OR
       (NEW.minutes > 0 AND NEW.balance_after_minutes > cap_minutes)) THEN
    RAISE EXCEPTION 'entry takes account % to % minutes, outside [%, %]',
      NEW.account_id, NEW.balance_after_minutes, floor_minutes, cap_minutes
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER entries_within_limits AFTER INSERT ON entries
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_limits();
