CREATE TABLE "row_counts" (
	"name" text NOT NULL,
	"slot" smallint NOT NULL,
	"count" bigint NOT NULL,
	CONSTRAINT "row_counts_name_slot_pk" PRIMARY KEY("name","slot")
);
--> statement-breakpoint
DROP INDEX "orders_user_recent_idx";--> statement-breakpoint
DROP INDEX "orders_recent_idx";--> statement-breakpoint
CREATE INDEX "orders_user_recent_idx" ON "orders" USING btree ("user_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "orders_recent_idx" ON "orders" USING btree ("created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);