CREATE TABLE "federation_nonces" (
	"key_id" text NOT NULL,
	"nonce" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "federation_nonces_pkey" PRIMARY KEY("key_id","nonce")
);
--> statement-breakpoint
ALTER TABLE "timebank_links" ADD COLUMN "peer_timebank_name" text;--> statement-breakpoint
ALTER TABLE "timebank_links" ADD COLUMN "peer_status" text;--> statement-breakpoint
ALTER TABLE "timebank_links" ADD COLUMN "peer_public_key" jsonb;--> statement-breakpoint
ALTER TABLE "timebank_links" ADD COLUMN "peer_key_id" text;--> statement-breakpoint
CREATE INDEX "federation_nonces_expires_idx" ON "federation_nonces" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "timebank_links_remote_idx" ON "timebank_links" USING btree ("id") WHERE "timebank_links"."peer_url" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "timebank_links" ADD CONSTRAINT "timebank_links_peer_status_check" CHECK ("timebank_links"."peer_status" IN ('proposed', 'active', 'suspended'));