ALTER TABLE "adapters" ADD COLUMN "beyond_grants" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "grants" jsonb;
--> statement-breakpoint
-- PROTOCOL §4 (v1.1): departments answer only for what they were granted. So that nothing stops
-- answering on upgrade, every existing department is granted what its adapters already use: their
-- evidence types, and the host of each http adapter's endpoint. An sql adapter's host sits in its
-- sealed connection string, which SQL cannot open: those adapters are kept as if an admin had
-- registered them beyond the grant (they keep working; the department cannot change them until an
-- admin grants the host). docs/operators.md, "Granting existing departments", says how to review.
UPDATE "members" m SET "grants" = jsonb_build_object(
  'evidenceTypes', COALESCE((
    SELECT jsonb_agg(DISTINCT t ORDER BY t)
    FROM "adapters" a, jsonb_array_elements_text(a."evidence_types") t
    WHERE a."department" = m."id"), '[]'::jsonb),
  'hosts', COALESCE((
    SELECT jsonb_agg(DISTINCT h ORDER BY h)
    FROM (
      SELECT lower(btrim(substring(a."config"->>'endpoint' from '^[A-Za-z][A-Za-z0-9+.-]*://(\[[^]]*\]|[^/:?#]+)'), '[]')) AS h
      FROM "adapters" a
      WHERE a."department" = m."id" AND a."kind" = 'http'
    ) hosts
    WHERE h IS NOT NULL AND h <> ''), '[]'::jsonb))
WHERE m."kind" = 'department';
--> statement-breakpoint
UPDATE "adapters" SET "beyond_grants" = true WHERE "kind" = 'sql';
