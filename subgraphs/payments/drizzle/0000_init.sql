CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"failure_reason" text,
	"card_last4" text,
	"provider_token" text,
	"provider_charge_id" text,
	"idempotency_key" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_amount_check" CHECK ("payments"."amount" >= 0),
	CONSTRAINT "payments_status_check" CHECK ("payments"."status" in ('PROCESSING', 'SUCCEEDED', 'FAILED', 'REFUNDED')),
	CONSTRAINT "payments_card_last4_check" CHECK ("payments"."card_last4" ~ '^[0-9]{4}$')
);
--> statement-breakpoint
CREATE UNIQUE INDEX "payments_order_idempotency_key" ON "payments" USING btree ("order_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "payments_order_latest_idx" ON "payments" USING btree ("order_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);