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
CREATE TABLE "ledger_heads" (
	"timebank_id" uuid PRIMARY KEY NOT NULL,
	"last_sequence" bigint NOT NULL,
	"last_hash" text NOT NULL,
	"last_posted_at" timestamp with time zone NOT NULL
);
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
	"sequence" bigint,
	"hash" text,
	CONSTRAINT "transfers_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "transfers_timebank_sequence_key" UNIQUE("timebank_id","sequence"),
	CONSTRAINT "transfers_minutes_check" CHECK ("transfers"."minutes" > 0 AND "transfers"."minutes" <= 1000000),
	CONSTRAINT "transfers_parties_check" CHECK ("transfers"."payer_account_id" <> "transfers"."payee_account_id"),
	CONSTRAINT "transfers_status_check" CHECK ("transfers"."status" IN ('pending', 'posted', 'rejected', 'expired')),
	CONSTRAINT "transfers_posted_check" CHECK (("transfers"."status" = 'posted') = ("transfers"."sequence" IS NOT NULL AND "transfers"."hash" IS NOT NULL AND "transfers"."posted_at" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "given_minutes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "received_minutes" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "entries" ADD CONSTRAINT "entries_account_fkey" FOREIGN KEY ("timebank_id","account_id") REFERENCES "public"."accounts"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entries" ADD CONSTRAINT "entries_transfer_fkey" FOREIGN KEY ("timebank_id","transfer_id") REFERENCES "public"."transfers"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_heads" ADD CONSTRAINT "ledger_heads_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_payer_fkey" FOREIGN KEY ("timebank_id","payer_account_id") REFERENCES "public"."accounts"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_payee_fkey" FOREIGN KEY ("timebank_id","payee_account_id") REFERENCES "public"."accounts"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_category_fkey" FOREIGN KEY ("timebank_id","category_id") REFERENCES "public"."categories"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "transfers" ADD CONSTRAINT "transfers_reverses_fkey" FOREIGN KEY ("timebank_id","reverses_transfer_id") REFERENCES "public"."transfers"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "entries_account_time_idx" ON "entries" USING btree ("timebank_id","account_id","posted_at");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "transfers_reversed_once" ON "transfers" USING btree ("timebank_id","reverses_transfer_id") WHERE "transfers"."reverses_transfer_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "transfers_payer_idx" ON "transfers" USING btree ("timebank_id","payer_account_id","id");--> statement-breakpoint
CREATE INDEX "transfers_payee_idx" ON "transfers" USING btree ("timebank_id","payee_account_id","id");--> statement-breakpoint
CREATE INDEX "transfers_pending_idx" ON "transfers" USING btree ("auto_confirm_at") WHERE "transfers"."status" = 'pending';