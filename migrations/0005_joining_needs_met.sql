CREATE TABLE "applications" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"display_name" text NOT NULL,
	"email" text NOT NULL,
	"password_hash" text,
	"about" text DEFAULT '' NOT NULL,
	"status" text NOT NULL,
	"duplicate_of_member_id" uuid,
	"member_id" uuid,
	"decided_at" timestamp with time zone,
	"decided_by_type" text,
	"decided_by_id" uuid,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "applications_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "applications_status_check" CHECK ("applications"."status" IN ('open', 'approved', 'declined'))
);
--> statement-breakpoint
CREATE TABLE "match_marks" (
	"timebank_id" uuid NOT NULL,
	"listing_id" uuid NOT NULL,
	"candidate_listing_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"mark" text NOT NULL,
	"marked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "match_marks_pkey" PRIMARY KEY("timebank_id","listing_id","candidate_listing_id"),
	CONSTRAINT "match_marks_mark_check" CHECK ("match_marks"."mark" IN ('contacted', 'notSuitable'))
);
--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "stage" text;--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "first_response_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "agreed_with" uuid;--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "met_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "timebanks" ADD COLUMN "join_policy" text DEFAULT 'closed' NOT NULL;--> statement-breakpoint
ALTER TABLE "timebanks" ADD COLUMN "stalled_after_days" integer DEFAULT 14 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "applications_open_email_key" ON "applications" USING btree ("timebank_id","email") WHERE "applications"."status" = 'open';--> statement-breakpoint
CREATE INDEX "applications_status_idx" ON "applications" USING btree ("timebank_id","status","created_at");--> statement-breakpoint
ALTER TABLE "timebanks" ADD CONSTRAINT "timebanks_join_policy_check" CHECK ("timebanks"."join_policy" IN ('closed', 'application', 'open'));--> statement-breakpoint
ALTER TABLE "timebanks" ADD CONSTRAINT "timebanks_stalled_after_days_check" CHECK ("timebanks"."stalled_after_days" BETWEEN 1 AND 365);--> statement-breakpoint
-- Requests made before needs were tracked: an open one is still open; a closed one's outcome was never recorded, so it counts as withdrawn.
UPDATE "listings" SET "stage" = CASE WHEN "status" = 'open' THEN 'open' ELSE 'withdrawn' END WHERE "kind" = 'request';
