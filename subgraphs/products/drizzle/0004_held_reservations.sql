CREATE INDEX "stock_reservations_held_idx" ON "stock_reservations" USING btree ("order_id") WHERE "stock_reservations"."status" = 'HELD';
