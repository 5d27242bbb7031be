CREATE TABLE "event_heads" (
	"timebank_id" uuid PRIMARY KEY NOT NULL,
	"last_sequence" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "events" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"queue_order" bigserial NOT NULL,
	"sequence" bigint,
	"type" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"audience" uuid[] NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "events_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "events_sequence_key" UNIQUE("timebank_id","sequence"),
	CONSTRAINT "events_sequence_check" CHECK ("events"."sequence" > 0)
);
--> statement-breakpoint
CREATE TABLE "nudges" (
	"timebank_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "nudges_pkey" PRIMARY KEY("timebank_id","kind","subject_id")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"timebank_id" uuid NOT NULL,
	"webhook_id" uuid NOT NULL,
	"sequence" bigint NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"attempts" integer NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"last_attempt_at" timestamp with time zone NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "webhook_deliveries_pkey" PRIMARY KEY("timebank_id","webhook_id","sequence")
);
--> statement-breakpoint
CREATE TABLE "webhooks" (
	"timebank_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"description" text,
	"secret_sealed" text NOT NULL,
	"status" text NOT NULL,
	"created_by_type" text NOT NULL,
	"created_by_id" uuid NOT NULL,
	"delivered_through" bigint NOT NULL,
	"failing_since" timestamp with time zone,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"lease_until" timestamp with time zone,
	"lease_id" uuid,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "webhooks_pkey" PRIMARY KEY("timebank_id","id"),
	CONSTRAINT "webhooks_status_check" CHECK ("webhooks"."status" IN ('active', 'disabled'))
);
--> statement-breakpoint
CREATE INDEX "events_unsequenced_idx" ON "events" USING btree ("timebank_id","queue_order") WHERE "events"."sequence" IS NULL;--> statement-breakpoint
CREATE INDEX "webhooks_due_idx" ON "webhooks" USING btree ("next_attempt_at") WHERE "webhooks"."status" = 'active';--> statement-breakpoint
-- An event is a fact: the sequencer gives it its number once, and nothing else of it changes.
CREATE FUNCTION events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'events are never deleted (event %)', OLD.id USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.sequence IS NOT NULL OR NEW.sequence IS NULL
     OR (NEW.timebank_id, NEW.id, NEW.queue_order, NEW.type, NEW.occurred_at, NEW.audience, NEW.data)
        IS DISTINCT FROM (OLD.timebank_id, OLD.id, OLD.queue_order, OLD.type, OLD.occurred_at, OLD.audience, OLD.data) THEN
    RAISE EXCEPTION 'event % is immutable once written, but for its sequence, given once', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_guard();
--> statement-breakpoint
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
