CREATE TABLE "stock_reservation_lines" (
	"order_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"product_name" text NOT NULL,
	"unit_price_amount" integer NOT NULL,
	"unit_price_currency" text NOT NULL,
	CONSTRAINT "stock_reservation_lines_order_id_product_id_pk" PRIMARY KEY("order_id","product_id"),
	CONSTRAINT "stock_reservation_lines_quantity_check" CHECK ("stock_reservation_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "stock_reservations" (
	"order_id" uuid PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_reservations_status_check" CHECK ("stock_reservations"."status" in ('HELD', 'COMMITTED', 'RELEASED', 'REJECTED', 'RESTORED'))
);
--> statement-breakpoint
ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_order_id_stock_reservations_order_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."stock_reservations"("order_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stock_reservation_lines_product_idx" ON "stock_reservation_lines" USING btree ("product_id");