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
ALTER TABLE "listings" ADD CONSTRAINT "listings_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_member_fkey" FOREIGN KEY ("timebank_id","member_id") REFERENCES "public"."members"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_category_fkey" FOREIGN KEY ("timebank_id","category_id") REFERENCES "public"."categories"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "listings_open_category_idx" ON "listings" USING btree ("timebank_id","kind","category_id") WHERE "listings"."status" = 'open';--> statement-breakpoint
CREATE INDEX "listings_member_idx" ON "listings" USING btree ("timebank_id","member_id");--> statement-breakpoint
CREATE INDEX "listings_search_idx" ON "listings" USING gin ("search");--> statement-breakpoint
CREATE INDEX "listings_skill_trgm_idx" ON "listings" USING gin ("skill_text" gin_trgm_ops);