CREATE TABLE "mail_cursors" (
	"timebank_id" uuid PRIMARY KEY NOT NULL,
	"delivered_through" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "notify_claims" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "notify_digest" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "digest_sent_at" timestamp with time zone;