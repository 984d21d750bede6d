-- Gateway processes keep the configuration the verification hot path reads (matters, evidence
-- types, policies, adapters, members) in memory (src/config/). Every change to those tables,
-- made by a gateway or by hand, notifies channel `huren_config` with the table's name, once per
-- statement; PostgreSQL delivers it at commit (and folds repeats within one transaction), and
-- each listening process then drops what it cached from that table. Same on PGlite.
CREATE OR REPLACE FUNCTION huren_config_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('huren_config', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER matters_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "matters"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_config_notify();
--> statement-breakpoint
CREATE TRIGGER evidence_types_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "evidence_types"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_config_notify();
--> statement-breakpoint
CREATE TRIGGER policies_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "policies"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_config_notify();
--> statement-breakpoint
CREATE TRIGGER members_config_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "members"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_config_notify();
--> statement-breakpoint
-- Storing a conformance check's report (last_check) is not a configuration change: no notice.
CREATE TRIGGER adapters_config_notify
  AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF department, kind, evidence_types, config, sealed_secrets, enabled, version ON "adapters"
  FOR EACH STATEMENT EXECUTE FUNCTION huren_config_notify();
