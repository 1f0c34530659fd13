DROP INDEX "payments_order_latest_idx";--> statement-breakpoint
CREATE INDEX "payments_order_latest_idx" ON "payments" USING btree ("order_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);