-- The catalog's totalCount without a scan: the number of live products (deleted_at is null) is
-- kept in row_counts by statement triggers, in the transaction that inserts, soft-deletes or
-- deletes the rows, whoever writes them (the subgraph, a seed, an operator's SQL). Each statement
-- adds its net change once, to the slot of its connection, and only when there is one: the stock
-- updates of checkout change no count and lock no counter row. Names are schema-qualified: an
-- operator's session has another search_path.
CREATE FUNCTION "products"."count_live_products"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint := 0;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM "products"."row_counts" WHERE "name" = 'live_products';
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    delta := delta + (SELECT count(*) FROM new_rows WHERE "deleted_at" IS NULL);
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    delta := delta - (SELECT count(*) FROM old_rows WHERE "deleted_at" IS NULL);
  END IF;
  IF delta <> 0 THEN
    INSERT INTO "products"."row_counts" ("name", "slot", "count")
      VALUES ('live_products', pg_backend_pid() % 16, delta)
      ON CONFLICT ("name", "slot") DO UPDATE SET "count" = "row_counts"."count" + excluded."count";
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "products_count_inserts" AFTER INSERT ON "products"."products"
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "products"."count_live_products"();
--> statement-breakpoint
CREATE TRIGGER "products_count_updates" AFTER UPDATE ON "products"."products"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "products"."count_live_products"();
--> statement-breakpoint
CREATE TRIGGER "products_count_deletes" AFTER DELETE ON "products"."products"
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "products"."count_live_products"();
--> statement-breakpoint
CREATE TRIGGER "products_count_truncates" AFTER TRUNCATE ON "products"."products"
  FOR EACH STATEMENT EXECUTE FUNCTION "products"."count_live_products"();
--> statement-breakpoint
-- The products already there. The triggers above hold a lock on the table that keeps out every
-- writer until this migration commits, so no insert falls between this count and the triggers.
INSERT INTO "products"."row_counts" ("name", "slot", "count")
  SELECT 'live_products', 0, count(*) FROM "products"."products" WHERE "deleted_at" IS NULL;
