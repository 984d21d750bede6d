CREATE TABLE "adapter_versions" (
	"id" text NOT NULL,
	"version" integer NOT NULL,
	"department" text NOT NULL,
	"kind" text NOT NULL,
	"evidence_types" jsonb NOT NULL,
	"config" jsonb NOT NULL,
	"sealed_secrets" text,
	"enabled" boolean NOT NULL,
	"changed_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "adapter_versions_id_version_pk" PRIMARY KEY("id","version")
);
--> statement-breakpoint
CREATE TABLE "consent_uses" (
	"consent_id" text NOT NULL,
	"verification_id" text NOT NULL,
	"requester" text NOT NULL,
	"evidence_types" jsonb NOT NULL,
	"ledger_index" bigint,
	"used_at" timestamp with time zone NOT NULL,
	CONSTRAINT "consent_uses_consent_id_verification_id_pk" PRIMARY KEY("consent_id","verification_id")
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" text PRIMARY KEY NOT NULL,
	"issuer" text NOT NULL,
	"subject_ref" text NOT NULL,
	"grantee" text NOT NULL,
	"matters" jsonb NOT NULL,
	"evidence_types" jsonb NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"max_uses" integer,
	"uses" integer DEFAULT 0 NOT NULL,
	"method" text NOT NULL,
	"proof" text NOT NULL,
	"token_hash" text NOT NULL,
	"sealed_token" text,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_checkpoints" (
	"size" bigint PRIMARY KEY NOT NULL,
	"root_hash" text NOT NULL,
	"note" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_nodes" (
	"level" integer NOT NULL,
	"idx" bigint NOT NULL,
	"hash" text NOT NULL,
	CONSTRAINT "ledger_nodes_level_idx_pk" PRIMARY KEY("level","idx")
);
--> statement-breakpoint
CREATE TABLE "quota_counters" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "quota_counters_scope_key_window_start_pk" PRIMARY KEY("scope","key","window_start")
);
--> statement-breakpoint
ALTER TABLE "adapters" ADD COLUMN "last_check" jsonb;--> statement-breakpoint
CREATE INDEX "consents_subject" ON "consents" USING btree ("subject_ref");--> statement-breakpoint
CREATE INDEX "consents_issuer" ON "consents" USING btree ("issuer");