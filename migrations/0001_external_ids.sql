ALTER TABLE "members" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "metadata" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "metadata" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "members_timebank_external_id_key" ON "members" USING btree ("timebank_id","external_id") WHERE "members"."external_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "transfers_recorder_external_id_key" ON "transfers" USING btree ("timebank_id","created_by_id","external_id") WHERE "transfers"."external_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_external_id_check" CHECK (char_length("members"."external_id") BETWEEN 1 AND 255);--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_metadata_check" CHECK (jsonb_typeof("members"."metadata") = 'object');--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_external_id_check" CHECK (char_length("transfers"."external_id") BETWEEN 1 AND 255);--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_metadata_check" CHECK (jsonb_typeof("transfers"."metadata") = 'object');--> statement-breakpoint
-- A transfer's externalId and metadata are facts of its creation, as immutable as its amount: a
-- pending transfer being resolved changes neither (the guard of the baseline, with both added).
CREATE OR REPLACE FUNCTION ledger_guard_transfers() RETURNS trigger LANGUAGE plpgsql AS $$
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
      NEW.created_at, NEW.auto_confirm_at, NEW.external_id, NEW.metadata)
     IS DISTINCT FROM
     (OLD.timebank_id, OLD.id, OLD.payer_account_id, OLD.payee_account_id, OLD.minutes,
      OLD.description, OLD.category_id, OLD.request_id, OLD.offer_id, OLD.created_by_type,
      OLD.created_by_id, OLD.brokered, OLD.reverses_transfer_id, OLD.reason, OLD.override_limits,
      OLD.created_at, OLD.auto_confirm_at, OLD.external_id, OLD.metadata) THEN
    RAISE EXCEPTION 'a pending transfer changes only its status (transfer %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
