-- Witness cosignatures are evidence, like the checkpoints they belong to: append-only for every
-- role (triggers, as in 0003), and no UPDATE/DELETE/TRUNCATE for the runtime role.
CREATE TRIGGER ledger_cosignatures_append_only BEFORE UPDATE OR DELETE ON "ledger_cosignatures"
  FOR EACH ROW EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
CREATE TRIGGER ledger_cosignatures_no_truncate BEFORE TRUNCATE ON "ledger_cosignatures"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_ledger_append_only();
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON "ledger_cosignatures" FROM huren_runtime;
