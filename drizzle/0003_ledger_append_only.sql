-- The access ledger is append-only. Two layers:
-- 1. Triggers refuse UPDATE, DELETE and TRUNCATE on the ledger tables for every role, on
--    PostgreSQL and PGlite alike. Only someone who can ALTER the tables (disable the trigger)
--    can change history, and the Merkle tree with its signed checkpoints makes that detectable.
-- 2. On PostgreSQL, the role `huren_runtime` is what the gateway's login role should be a member
--    of: it may read and write the operational tables but has no UPDATE, DELETE or TRUNCATE on
--    the ledger (docs/operators.md: create a login role IN ROLE huren_runtime).
CREATE OR REPLACE FUNCTION huren_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the access ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON "ledger_entries"
  FOR EACH ROW EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON "ledger_entries"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_nodes_append_only BEFORE UPDATE OR DELETE ON "ledger_nodes"
  FOR EACH ROW EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE ON "ledger_nodes"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON "ledger_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON "ledger_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
DO $$
BEGIN
  BEGIN
    CREATE ROLE huren_runtime NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database on this server created it already
  END;
  GRANT USAGE ON SCHEMA public TO huren_runtime;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO huren_runtime;
  REVOKE UPDATE, DELETE, TRUNCATE ON "ledger_entries", "ledger_nodes", "ledger_checkpoints" FROM huren_runtime;
  -- Tables added by later migrations are granted too (they re-revoke on any new ledger table).
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO huren_runtime;
END
$$;
