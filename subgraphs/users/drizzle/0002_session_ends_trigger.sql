-- Every session of a user ends when their role or password changes or their row is deleted, however
-- that happens (the users subgraph, a script, an operator's SQL): the token version is raised in the
-- same transaction, the raise recorded in session_ends and announced to the users subgraph, which
-- publishes it to Redis for the gateway. Names are schema-qualified: an operator's session has
-- another search_path.
CREATE FUNCTION "users"."end_sessions_on_change"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ended_version integer;
  user_id uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN
    user_id := OLD.id;
    ended_version := OLD.token_version + 1;
  ELSE
    user_id := NEW.id;
    IF (NEW.role IS DISTINCT FROM OLD.role OR NEW.password_hash IS DISTINCT FROM OLD.password_hash)
       AND NEW.token_version <= OLD.token_version THEN
      NEW.token_version := OLD.token_version + 1;
    END IF;
    IF NEW.token_version <= OLD.token_version THEN
      RETURN NEW;
    END IF;
    ended_version := NEW.token_version;
  END IF;
  INSERT INTO "users"."session_ends" ("user_id", "token_version") VALUES (user_id, ended_version);
  PERFORM pg_notify('shopgraph_session_ends', user_id::text || ':' || ended_version::text);
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_end_sessions" BEFORE UPDATE OR DELETE ON "users"."users"
  FOR EACH ROW EXECUTE FUNCTION "users"."end_sessions_on_change"();
--> statement-breakpoint
-- Until now every admin was made by the start-up's ensureAdmin (no mutation grants the role): each
-- is a bootstrap admin, demoted at the next start unless ADMIN_EMAIL names it.
UPDATE "users"."users" SET "bootstrap_admin" = true WHERE "role" = 'ADMIN';
