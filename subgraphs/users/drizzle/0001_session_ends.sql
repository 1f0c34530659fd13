CREATE TABLE "session_ends" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"token_version" integer NOT NULL,
	"ended_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "token_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "bootstrap_admin" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "session_ends_ended_at_idx" ON "session_ends" USING btree ("ended_at");