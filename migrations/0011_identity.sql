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
ALTER TABLE "clients" ADD COLUMN "previous_secret_hash" text;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "previous_secret_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "created_by_member_id" uuid;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "last_used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "platform_admins" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "timebanks" ADD COLUMN "auto_confirm_member_claims" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "timebanks" ADD COLUMN "max_open_claims" integer DEFAULT 5 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("timebank_id","target_id","id");--> statement-breakpoint
CREATE INDEX "audit_log_action_idx" ON "audit_log" USING btree ("timebank_id","action","id");--> statement-breakpoint
CREATE INDEX "sessions_subject_idx" ON "sessions" USING btree ("subject_id");--> statement-breakpoint
CREATE INDEX "transfers_pending_payer_idx" ON "transfers" USING btree ("timebank_id","payer_account_id") WHERE "transfers"."status" = 'pending';--> statement-breakpoint
ALTER TABLE "timebanks" ADD CONSTRAINT "timebanks_max_open_claims_check" CHECK ("timebanks"."max_open_claims" >= 0);--> statement-breakpoint

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

-- A member's claim no longer holds the payer's room (it is checked when confirmed): release what
-- the claims already waiting hold.
UPDATE accounts a SET pending_debit_minutes = a.pending_debit_minutes - c.minutes
  FROM (SELECT timebank_id, payer_account_id, sum(minutes) AS minutes FROM transfers
         WHERE status = 'pending' AND NOT brokered GROUP BY timebank_id, payer_account_id) c
 WHERE a.timebank_id = c.timebank_id AND a.id = c.payer_account_id;
