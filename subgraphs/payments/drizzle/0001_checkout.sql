CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"job_name" text NOT NULL,
	"job_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"delay_ms" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp (3) with time zone,
	CONSTRAINT "outbox_job_id_unique" UNIQUE("job_id")
);
--> statement-breakpoint
CREATE TABLE "payable_orders" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payable_orders_amount_check" CHECK ("payable_orders"."amount" >= 0),
	CONSTRAINT "payable_orders_version_check" CHECK ("payable_orders"."version" >= 1),
	CONSTRAINT "payable_orders_status_check" CHECK ("payable_orders"."status" in ('AWAITING_PAYMENT', 'PAID', 'CLOSED'))
);
--> statement-breakpoint
DROP INDEX "payments_order_idempotency_key";--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "order_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "outbox_unsent_idx" ON "outbox" USING btree ("id") WHERE "outbox"."sent_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "payments_user_idempotency_key" ON "payments" USING btree ("user_id","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_one_processing_per_order" ON "payments" USING btree ("order_id") WHERE "payments"."status" = 'PROCESSING';--> statement-breakpoint
CREATE UNIQUE INDEX "payments_one_succeeded_per_order" ON "payments" USING btree ("order_id") WHERE "payments"."status" = 'SUCCEEDED';