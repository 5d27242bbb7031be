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
	"version" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "accounts_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "accounts_timebank_member_key" UNIQUE("timebank_id","member_id"),
	CONSTRAINT "accounts_kind_check" CHECK ("accounts"."kind" IN ('member', 'commons')),
	CONSTRAINT "accounts_owner_check" CHECK (("accounts"."kind" = 'commons') = ("accounts"."member_id" IS NULL)),
	CONSTRAINT "accounts_limits_check" CHECK ("accounts"."min_balance_minutes" <= 0 AND "accounts"."max_balance_minutes" >= 0),
	CONSTRAINT "accounts_pending_check" CHECK ("accounts"."pending_debit_minutes" >= 0 AND "accounts"."pending_credit_minutes" >= 0)
);
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
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "clients_pkey" PRIMARY KEY("timebank_id","id")
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
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "platform_admins_email_key" UNIQUE("email")
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
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "timebanks_slug_key" UNIQUE("slug"),
	CONSTRAINT "timebanks_default_limits_check" CHECK ("timebanks"."default_min_balance_minutes" <= 0 AND "timebanks"."default_max_balance_minutes" >= 0),
	CONSTRAINT "timebanks_confirmation_check" CHECK ("timebanks"."confirmation" IN ('none', 'counterparty')),
	CONSTRAINT "timebanks_auto_confirm_check" CHECK ("timebanks"."auto_confirm_after_hours" >= 0)
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_member_fkey" FOREIGN KEY ("timebank_id","member_id") REFERENCES "public"."members"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "categories" ADD CONSTRAINT "categories_parent_fkey" FOREIGN KEY ("timebank_id","parent_id") REFERENCES "public"."categories"("timebank_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "clients" ADD CONSTRAINT "clients_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_timebank_id_timebanks_id_fk" FOREIGN KEY ("timebank_id") REFERENCES "public"."timebanks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_one_commons_per_timebank" ON "accounts" USING btree ("timebank_id") WHERE "accounts"."kind" = 'commons';--> statement-breakpoint
CREATE INDEX "clients_id_idx" ON "clients" USING btree ("id");--> statement-breakpoint
CREATE INDEX "members_email_idx" ON "members" USING btree ("email");