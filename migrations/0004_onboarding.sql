CREATE TABLE "imports" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"content_hash" text NOT NULL,
	"format" text NOT NULL,
	"result" jsonb NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "imports_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "imports_content_key" UNIQUE("timebank_id","content_hash")
);
--> statement-breakpoint
CREATE TABLE "platform_setup" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"timebank_id" uuid NOT NULL,
	"completed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "platform_setup_single_row_check" CHECK (id = 1)
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "phone" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "share_email" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "share_phone" boolean DEFAULT false NOT NULL;