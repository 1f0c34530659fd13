-- An admin's totalCount without a scan: the number of orders is kept in row_counts by statement
-- triggers, in the transaction that inserts or deletes the rows, whoever writes them (checkout, a
-- seed, an operator's SQL). Each statement adds its net change once, to the slot of its
-- connection. Status changes change no count, so updates have no trigger. Names are
-- schema-qualified: an operator's session has another search_path.
CREATE FUNCTION "orders"."count_orders"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    DELETE FROM "orders"."row_counts" WHERE "name" = 'orders';
    RETURN NULL;
  ELSIF TG_OP = 'INSERT' THEN
    delta := (SELECT count(*) FROM new_rows);
  ELSE
    delta := -(SELECT count(*) FROM old_rows);
  END IF;
  IF delta <> 0 THEN
    INSERT INTO "orders"."row_counts" ("name", "slot", "count")
      VALUES ('orders', pg_backend_pid() % 16, delta)
      ON CONFLICT ("name", "slot") DO UPDATE SET "count" = "row_counts"."count" + excluded."count";
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "orders_count_inserts" AFTER INSERT ON "orders"."orders"
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "orders"."count_orders"();
--> statement-breakpoint
CREATE TRIGGER "orders_count_deletes" AFTER DELETE ON "orders"."orders"
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "orders"."count_orders"();
--> statement-breakpoint
CREATE TRIGGER "orders_count_truncates" AFTER TRUNCATE ON "orders"."orders"
  FOR EACH STATEMENT EXECUTE FUNCTION "orders"."count_orders"();
--> statement-breakpoint
-- The orders already there. The triggers above hold a lock on the table that keeps out every
-- writer until this migration commits, so no insert falls between this count and the triggers.
INSERT INTO "orders"."row_counts" ("name", "slot", "count")
  SELECT 'orders', 0, count(*) FROM "orders"."orders";
