-- The schema of the service, from a clean start. The ledger's guards sit beside the tables
-- they guard: the domain code checks every rule first, and these hold whatever code runs.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint

-- The ledger is append-only: entries, checkpoints and seals are never changed or removed, and
-- accounts and transfers never removed.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on % is refused: the ledger is append-only', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
--> statement-breakpoint
CREATE TABLE "accounts" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"member_id" uuid,
	"kind" text NOT NULL,
	"balance_minutes" bigint DEFAULT 0 NOT NULL,
	"pending_debit_minutes" bigint DEFAULT 0 NOT NULL,
	"pending_credit_minutes" bigint DEFAULT 0 NOT NULL,
	"min_balance_minutes" bigint NOT NULL,
	"max_balance_minutes" bigint NOT NULL,
	"given_minutes" bigint DEFAULT 0 NOT NULL,
	"received_minutes" bigint DEFAULT 0 NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	"open_claims" integer DEFAULT 0 NOT NULL,
	"open_commons_claims" integer DEFAULT 0 NOT NULL,
	"last_posted_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "accounts_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "accounts_timebank_member_key" UNIQUE("timebank_id","member_id"),
	CONSTRAINT "accounts_kind_check" CHECK ("accounts"."kind" IN ('member', 'commons')),
	CONSTRAINT "accounts_owner_check" CHECK (("accounts"."kind" = 'commons') = ("accounts"."member_id" IS NULL)),
	CONSTRAINT "accounts_limits_check" CHECK ("accounts"."min_balance_minutes" <= 0 AND "accounts"."max_balance_minutes" >= 0),
	CONSTRAINT "accounts_pending_check" CHECK ("accounts"."pending_debit_minutes" >= 0 AND "accounts"."pending_credit_minutes" >= 0),
	CONSTRAINT "accounts_open_claims_check" CHECK ("accounts"."open_claims" >= 0 AND "accounts"."open_commons_claims" >= 0)
);
--> statement-breakpoint
CREATE TRIGGER accounts_never_deleted BEFORE DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER accounts_no_truncate BEFORE TRUNCATE ON accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"changes" jsonb NOT NULL,
	"request_id" text,
	CONSTRAINT "audit_log_pkey" PRIMARY KEY("timebank_id","id")
);
--> statement-breakpoint
-- The audit log is append-only: what a coordinator or admin changed stays on record, whoever
-- later holds the database role the service uses.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% on audit_log is refused: the audit log is append-only', TG_OP
    USING ERRCODE = 'integrity_constraint_violation';
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
--> statement-breakpoint
CREATE TABLE "categories" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"parent_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "categories_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "categories_timebank_parent_name_key" UNIQUE NULLS NOT DISTINCT("timebank_id","parent_id","name"),
	CONSTRAINT "categories_not_own_parent_check" CHECK ("categories"."parent_id" IS DISTINCT FROM "categories"."id")
);
--> statement-breakpoint
CREATE TABLE "clients" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"secret_hash" text NOT NULL,
	"previous_secret_hash" text,
	"previous_secret_expires_at" timestamp with time zone,
	"scopes" text[] NOT NULL,
	"created_by_member_id" uuid,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone,
	CONSTRAINT "clients_pkey" PRIMARY KEY("timebank_id","id")
);
--> statement-breakpoint
CREATE TABLE "entries" (
	"timebank_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"account_version" bigint NOT NULL,
	"transfer_id" uuid NOT NULL,
	"minutes" integer NOT NULL,
	"balance_after_minutes" bigint NOT NULL,
	"posted_at" timestamp with time zone NOT NULL,
	CONSTRAINT "entries_pkey" PRIMARY KEY("timebank_id","account_id","account_version"),
	CONSTRAINT "entries_transfer_account_key" UNIQUE("timebank_id","transfer_id","account_id"),
	CONSTRAINT "entries_minutes_check" CHECK ("entries"."minutes" <> 0)
);
--> statement-breakpoint
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint

-- Once per statement over the entries it inserted (a ledger write inserts every entry of a group
-- of transfers in one statement): each entry is for its transfer's payer or payee, and takes its
-- account past no limit unless its transfer records a coordinator's override. Lookups by key
-- only: the transition table has no statistics, and a hash join would read every account of the
-- timebank to check a few entries.
CREATE FUNCTION ledger_check_entry_limits() RETURNS trigger LANGUAGE plpgsql
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
--> statement-breakpoint
CREATE TRIGGER entries_within_limits AFTER INSERT ON entries
  REFERENCING NEW TABLE AS inserted_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entry_limits();
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"timebank_id" uuid NOT NULL,
	"caller" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status_code" integer,
	"response_body" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY("timebank_id","caller","key")
);
--> statement-breakpoint
CREATE TABLE "ledger_checkpoints" (
	"timebank_id" uuid NOT NULL,
	"sequence" bigint NOT NULL,
	"debit_minutes" bigint NOT NULL,
	"credit_minutes" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ledger_checkpoints_pkey" PRIMARY KEY("timebank_id","sequence"),
	CONSTRAINT "ledger_checkpoints_sequence_check" CHECK ("ledger_checkpoints"."sequence" > 0)
);
--> statement-breakpoint
-- A checkpoint is a fact about append-only entries, summed from the one before it.
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TABLE "ledger_heads" (
	"timebank_id" uuid PRIMARY KEY NOT NULL,
	"last_sequence" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"last_posted_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "listings" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"kind" text NOT NULL,
	"member_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"category_id" uuid NOT NULL,
	"tags" text[] NOT NULL,
	"lat" double precision,
	"lon" double precision,
	"max_distance_km" double precision,
	"remote" boolean NOT NULL,
	"availability" jsonb,
	"availability_hours" bit(168),
	"status" text NOT NULL,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"search_text" text NOT NULL,
	"skill_text" text NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED,
	CONSTRAINT "listings_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "listings_kind_check" CHECK ("listings"."kind" IN ('offer', 'request')),
	CONSTRAINT "listings_status_check" CHECK ("listings"."status" IN ('open', 'closed')),
	CONSTRAINT "listings_location_check" CHECK (("listings"."lat" IS NULL) = ("listings"."lon" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "members" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"display_name" text NOT NULL,
	"email" text NOT NULL,
	"password_hash" text,
	"kind" text NOT NULL,
	"role" text NOT NULL,
	"status" text NOT NULL,
	"token_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "members_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "members_timebank_email_key" UNIQUE("timebank_id","email"),
	CONSTRAINT "members_kind_check" CHECK ("members"."kind" IN ('person', 'organisation')),
	CONSTRAINT "members_role_check" CHECK ("members"."role" IN ('member', 'coordinator')),
	CONSTRAINT "members_status_check" CHECK ("members"."status" IN ('active', 'suspended', 'left'))
);
--> statement-breakpoint
CREATE TABLE "platform_admins" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"token_version" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "platform_admins_email_key" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"timebank_id" uuid,
	"refresh_token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "sessions_subject_type_check" CHECK ("sessions"."subject_type" IN ('member', 'admin'))
);
--> statement-breakpoint
CREATE TABLE "timebanks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"slug" text NOT NULL,
	"commons_account_id" uuid NOT NULL,
	"default_min_balance_minutes" bigint NOT NULL,
	"default_max_balance_minutes" bigint NOT NULL,
	"confirmation" text NOT NULL,
	"auto_confirm_after_hours" integer NOT NULL,
	"auto_confirm_member_claims" boolean DEFAULT false NOT NULL,
	"max_open_claims" integer DEFAULT 5 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "timebanks_slug_key" UNIQUE("slug"),
	CONSTRAINT "timebanks_default_limits_check" CHECK ("timebanks"."default_min_balance_minutes" <= 0 AND "timebanks"."default_max_balance_minutes" >= 0),
	CONSTRAINT "timebanks_confirmation_check" CHECK ("timebanks"."confirmation" IN ('none', 'counterparty')),
	CONSTRAINT "timebanks_auto_confirm_check" CHECK ("timebanks"."auto_confirm_after_hours" >= 0),
	CONSTRAINT "timebanks_max_open_claims_check" CHECK ("timebanks"."max_open_claims" >= 0)
);
--> statement-breakpoint
CREATE TABLE "transfer_seals" (
	"timebank_id" uuid NOT NULL,
	"sequence" bigint NOT NULL,
	"transfer_id" uuid NOT NULL,
	"hash" text NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "transfer_seals_pkey" PRIMARY KEY("timebank_id","sequence"),
	CONSTRAINT "transfer_seals_transfer_key" UNIQUE("timebank_id","transfer_id"),
	CONSTRAINT "transfer_seals_sequence_check" CHECK ("transfer_seals"."sequence" > 0)
);
--> statement-breakpoint
-- The chain only grows: a seal, once written, is never changed or removed.
CREATE TRIGGER transfer_seals_append_only BEFORE UPDATE OR DELETE ON transfer_seals
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER transfer_seals_no_truncate BEFORE TRUNCATE ON transfer_seals
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TABLE "transfers" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"payer_account_id" uuid NOT NULL,
	"payee_account_id" uuid NOT NULL,
	"minutes" integer NOT NULL,
	"status" text NOT NULL,
	"description" text,
	"category_id" uuid,
	"request_id" uuid,
	"offer_id" uuid,
	"created_by_type" text NOT NULL,
	"created_by_id" uuid NOT NULL,
	"brokered" boolean NOT NULL,
	"reverses_transfer_id" uuid,
	"reason" text,
	"override_limits" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"auto_confirm_at" timestamp with time zone,
	"posted_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "transfers_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "transfers_minutes_check" CHECK ("transfers"."minutes" > 0 AND "transfers"."minutes" <= 1000000),
	CONSTRAINT "transfers_parties_check" CHECK ("transfers"."payer_account_id" <> "transfers"."payee_account_id"),
	CONSTRAINT "transfers_status_check" CHECK ("transfers"."status" IN ('pending', 'posted', 'rejected', 'expired')),
	CONSTRAINT "transfers_posted_check" CHECK (("transfers"."status" = 'posted') = ("transfers"."posted_at" IS NOT NULL))
);
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
CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TABLE "unsealed_transfers" (
	"timebank_id" uuid NOT NULL,
	"posting_order" bigserial NOT NULL,
	"transfer_id" uuid NOT NULL,
	CONSTRAINT "unsealed_transfers_pkey" PRIMARY KEY("timebank_id","posting_order")
);
--> statement-breakpoint
-- A transfer leaves the queue only once sealed: nothing posted can drop out of the chain.
CREATE FUNCTION ledger_unseal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' OR NOT EXISTS (SELECT 1 FROM transfer_seals s
                                      WHERE s.timebank_id = OLD.timebank_id AND s.transfer_id = OLD.transfer_id) THEN
    RAISE EXCEPTION 'transfer % leaves the seal queue only once sealed', OLD.transfer_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN OLD;
END $$;
--> statement-breakpoint
CREATE TRIGGER unsealed_transfers_until_sealed BEFORE UPDATE OR DELETE ON unsealed_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_unseal_guard();
--> statement-breakpoint
CREATE TRIGGER unsealed_transfers_no_truncate BEFORE TRUNCATE ON unsealed_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_member_fkey" FOREIGN KEY ("timebank_id","member_id") REFERENCES "public"."members"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_parent_fkey" FOREIGN KEY ("timebank_id","parent_id") REFERENCES "public"."categories"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clients" ADD CONSTRAINT "clients_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entries" ADD CONSTRAINT "entries_account_fkey" FOREIGN KEY ("timebank_id","account_id") REFERENCES "public"."accounts"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entries" ADD CONSTRAINT "entries_transfer_fkey" FOREIGN KEY ("timebank_id","transfer_id") REFERENCES "public"."transfers"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_checkpoints" ADD CONSTRAINT "ledger_checkpoints_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_heads" ADD CONSTRAINT "ledger_heads_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_member_fkey" FOREIGN KEY ("timebank_id","member_id") REFERENCES "public"."members"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_category_fkey" FOREIGN KEY ("timebank_id","category_id") REFERENCES "public"."categories"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfer_seals" ADD CONSTRAINT "transfer_seals_transfer_fkey" FOREIGN KEY ("timebank_id","transfer_id") REFERENCES "public"."transfers"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_payer_fkey" FOREIGN KEY ("timebank_id","payer_account_id") REFERENCES "public"."accounts"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_payee_fkey" FOREIGN KEY ("timebank_id","payee_account_id") REFERENCES "public"."accounts"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_category_fkey" FOREIGN KEY ("timebank_id","category_id") REFERENCES "public"."categories"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_reverses_fkey" FOREIGN KEY ("timebank_id","reverses_transfer_id") REFERENCES "public"."transfers"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "unsealed_transfers" ADD CONSTRAINT "unsealed_transfers_transfer_fkey" FOREIGN KEY ("timebank_id","transfer_id") REFERENCES "public"."transfers"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_one_commons_per_timebank" ON "accounts" USING btree ("timebank_id") WHERE "accounts"."kind" = 'commons';--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("timebank_id","target_id","id");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "audit_log" USING btree ("timebank_id","action","id");--> statement-breakpoint
CREATE INDEX "clients_id_idx" ON "clients" USING btree ("id");--> statement-breakpoint
CREATE INDEX "entries_account_time_idx" ON "entries" USING btree ("timebank_id","account_id","posted_at");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "listings_open_category_idx" ON "listings" USING btree ("timebank_id","kind","category_id") WHERE "listings"."status" = 'open';--> statement-breakpoint
CREATE INDEX "listings_member_idx" ON "listings" USING btree ("timebank_id","member_id");--> statement-breakpoint
CREATE INDEX "listings_search_idx" ON "listings" USING gin ("search");--> statement-breakpoint
CREATE INDEX "listings_skill_trgm_idx" ON "listings" USING gin ("skill_text" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "members_email_idx" ON "members" USING btree ("email");--> statement-breakpoint
CREATE INDEX "sessions_subject_idx" ON "sessions" USING btree ("subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "transfers_reversed_once" ON "transfers" USING btree ("timebank_id","reverses_transfer_id") WHERE "transfers"."reverses_transfer_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "transfers_payer_idx" ON "transfers" USING btree ("timebank_id","payer_account_id","id");--> statement-breakpoint
CREATE INDEX "transfers_payee_idx" ON "transfers" USING btree ("timebank_id","payee_account_id","id");--> statement-breakpoint
CREATE INDEX "transfers_pending_idx" ON "transfers" USING btree ("auto_confirm_at") WHERE "transfers"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "transfers_pending_payer_idx" ON "transfers" USING btree ("timebank_id","payer_account_id") WHERE "transfers"."status" = 'pending';