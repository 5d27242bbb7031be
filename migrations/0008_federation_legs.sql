CREATE TABLE "federation_legs" (
	"timebank_id" uuid NOT NULL,
	"transfer_id" uuid NOT NULL,
	"link_id" uuid NOT NULL,
	"role" text NOT NULL,
	"deadline" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "federation_legs_pkey" PRIMARY KEY("timebank_id","transfer_id"),
	CONSTRAINT "federation_legs_role_check" CHECK ("federation_legs"."role" IN ('payer', 'payee'))
);
--> statement-breakpoint
CREATE INDEX "federation_legs_due_idx" ON "federation_legs" USING btree ("next_attempt_at");--> statement-breakpoint
-- A leg in flight is a transfer of this ledger (declared here: transfers is in schema.ts),
-- checked at commit: the leg's row is written before the one statement that writes the transfer.
ALTER TABLE "federation_legs" ADD CONSTRAINT "federation_legs_transfer_fkey" FOREIGN KEY ("timebank_id","transfer_id") REFERENCES "public"."transfers"("timebank_id","id") DEFERRABLE INITIALLY DEFERRED;
