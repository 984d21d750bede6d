CREATE TABLE "rate_limit_counters" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"quota" integer NOT NULL,
	"taken" integer NOT NULL,
	"granted" integer NOT NULL,
	CONSTRAINT "rate_limit_counters_scope_key_window_start_pk" PRIMARY KEY("scope","key","window_start")
);
--> statement-breakpoint
CREATE INDEX "rate_limit_counters_expiry" ON "rate_limit_counters" USING btree ("expires_at");--> statement-breakpoint
-- Rate-limit counters are operational state, not a record: no WAL for them (a lease commit then
-- costs no WAL flush), and a crash or a failover only resets the current windows.
ALTER TABLE "rate_limit_counters" SET UNLOGGED;
