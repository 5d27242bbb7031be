CREATE TABLE "timebank_links" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"peer_timebank_id" uuid NOT NULL,
	"peer_link_id" uuid,
	"peer_url" text,
	"status" text NOT NULL,
	"proposed_by_us" boolean NOT NULL,
	"clearing_account_id" uuid NOT NULL,
	"max_owed_by_us_minutes" bigint NOT NULL,
	"max_owed_to_us_minutes" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "timebank_links_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "timebank_links_peer_key" UNIQUE NULLS NOT DISTINCT("timebank_id","peer_timebank_id","peer_url"),
	CONSTRAINT "timebank_links_status_check" CHECK ("timebank_links"."status" IN ('proposed', 'active', 'suspended')),
	CONSTRAINT "timebank_links_limits_check" CHECK ("timebank_links"."max_owed_by_us_minutes" >= 0 AND "timebank_links"."max_owed_to_us_minutes" >= 0),
	CONSTRAINT "timebank_links_not_self_check" CHECK ("timebank_links"."peer_url" IS NOT NULL OR "timebank_links"."peer_timebank_id" <> "timebank_links"."timebank_id")
);
--> statement-breakpoint
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_kind_check";--> statement-breakpoint
ALTER TABLE "accounts" DROP CONSTRAINT "accounts_owner_check";--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "federation_visible" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "link_id" uuid;--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "remote_timebank_id" uuid;--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "remote_account_id" uuid;--> statement-breakpoint
ALTER TABLE "transfers" ADD COLUMN "remote_transfer_id" uuid;--> statement-breakpoint
CREATE UNIQUE INDEX "timebank_links_clearing_key" ON "timebank_links" USING btree ("timebank_id","clearing_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "transfers_remote_transfer_key" ON "transfers" USING btree ("timebank_id","remote_transfer_id") WHERE "transfers"."remote_transfer_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_kind_check" CHECK ("accounts"."kind" IN ('member', 'commons', 'link'));--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_owner_check" CHECK (("accounts"."kind" <> 'member') = ("accounts"."member_id" IS NULL));--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_link_check" CHECK (("transfers"."link_id" IS NULL) = ("transfers"."remote_transfer_id" IS NULL) AND ("transfers"."link_id" IS NULL) = ("transfers"."remote_account_id" IS NULL) AND ("transfers"."link_id" IS NULL) = ("transfers"."remote_timebank_id" IS NULL));--> statement-breakpoint
-- A link's clearing account is an account of its own timebank (declared here: accounts lives in
-- schema.ts, which re-exports the federation schema).
ALTER TABLE "timebank_links" ADD CONSTRAINT "timebank_links_clearing_fkey" FOREIGN KEY ("timebank_id","clearing_account_id") REFERENCES "public"."accounts"("timebank_id","id");--> statement-breakpoint
ALTER TABLE "timebank_links" ADD CONSTRAINT "timebank_links_timebank_fkey" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id");--> statement-breakpoint
-- A cross transfer's link and other leg are facts of its creation, as immutable as its amount:
-- the guard of 0001_external_ids, with the four link columns added.
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
      NEW.created_at, NEW.auto_confirm_at, NEW.external_id, NEW.metadata,
      NEW.link_id, NEW.remote_timebank_id, NEW.remote_account_id, NEW.remote_transfer_id)
     IS DISTINCT FROM
     (OLD.timebank_id, OLD.id, OLD.payer_account_id, OLD.payee_account_id, OLD.minutes,
      OLD.description, OLD.category_id, OLD.request_id, OLD.offer_id, OLD.created_by_type,
      OLD.created_by_id, OLD.brokered, OLD.reverses_transfer_id, OLD.reason, OLD.override_limits,
      OLD.created_at, OLD.auto_confirm_at, OLD.external_id, OLD.metadata,
      OLD.link_id, OLD.remote_timebank_id, OLD.remote_account_id, OLD.remote_transfer_id) THEN
    RAISE EXCEPTION 'a pending transfer changes only its status (transfer %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
-- A link keeps its timebank, peer and clearing account; links are suspended, never deleted.
CREATE FUNCTION federation_guard_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'links are suspended, never deleted (link %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF (NEW.timebank_id, NEW.id, NEW.peer_timebank_id, NEW.peer_url, NEW.clearing_account_id, NEW.proposed_by_us, NEW.created_at)
     IS DISTINCT FROM
     (OLD.timebank_id, OLD.id, OLD.peer_timebank_id, OLD.peer_url, OLD.clearing_account_id, OLD.proposed_by_us, OLD.created_at) THEN
    RAISE EXCEPTION 'a link changes only its status, limits and peer link id (link %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER timebank_links_guard BEFORE UPDATE OR DELETE ON timebank_links
  FOR EACH ROW EXECUTE FUNCTION federation_guard_links();
