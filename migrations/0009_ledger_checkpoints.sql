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
ALTER TABLE "ledger_checkpoints" ADD CONSTRAINT "ledger_checkpoints_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;