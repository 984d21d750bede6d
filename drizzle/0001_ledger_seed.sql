-- The ledger's single head row: appenders lock it to take consecutive indexes.
INSERT INTO "ledger_head" ("id", "size") VALUES (1, 0) ON CONFLICT DO NOTHING;
