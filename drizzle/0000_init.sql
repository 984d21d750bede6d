CREATE TABLE "adapters" (
	"id" text PRIMARY KEY NOT NULL,
	"department" text NOT NULL,
	"kind" text NOT NULL,
	"evidence_types" jsonb NOT NULL,
	"config" jsonb NOT NULL,
	"sealed_secrets" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence_types" (
	"type" text PRIMARY KEY NOT NULL,
	"definition" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "gateway_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"purpose" text NOT NULL,
	"alg" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"sealed_private_key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retired_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"idx" bigint PRIMARY KEY NOT NULL,
	"verification_id" text NOT NULL,
	"entry_json" text NOT NULL,
	"leaf_hash" text NOT NULL,
	"subject_ref" text NOT NULL,
	"requester" text NOT NULL,
	"uid" text,
	"matter" text,
	"case_ref" text,
	"decision" text NOT NULL,
	"evidence_types" jsonb NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_head" (
	"id" integer PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "matters" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"region" text NOT NULL,
	"requirements" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "members" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"region" text,
	"jwks" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policies" (
	"id" text PRIMARY KEY NOT NULL,
	"version" integer NOT NULL,
	"hash" text NOT NULL,
	"document" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "policy_versions" (
	"id" text NOT NULL,
	"version" integer NOT NULL,
	"hash" text NOT NULL,
	"document" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "policy_versions_id_version_pk" PRIMARY KEY("id","version")
);
--> statement-breakpoint
CREATE TABLE "request_nonces" (
	"issuer" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "request_nonces_issuer_jti_pk" PRIMARY KEY("issuer","jti")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "gateway_keys_one_active" ON "gateway_keys" USING btree ("purpose") WHERE retired_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_verification" ON "ledger_entries" USING btree ("verification_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_subject" ON "ledger_entries" USING btree ("subject_ref","idx");--> statement-breakpoint
CREATE INDEX "ledger_entries_requester" ON "ledger_entries" USING btree ("requester","idx");--> statement-breakpoint
CREATE INDEX "ledger_entries_recorded" ON "ledger_entries" USING btree ("recorded_at");--> statement-breakpoint
CREATE INDEX "request_nonces_expiry" ON "request_nonces" USING btree ("expires_at");