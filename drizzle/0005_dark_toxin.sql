CREATE TABLE "supervision_cards" (
	"id" text PRIMARY KEY NOT NULL,
	"rule" text NOT NULL,
	"counter_key" text NOT NULL,
	"period" text NOT NULL,
	"period_from" timestamp with time zone NOT NULL,
	"period_to" timestamp with time zone NOT NULL,
	"target_kind" text NOT NULL,
	"target_id" text NOT NULL,
	"level" text NOT NULL,
	"count" integer NOT NULL,
	"yellow" integer NOT NULL,
	"red" integer NOT NULL,
	"evidence" jsonb NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"notes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "supervision_counters" (
	"rule" text NOT NULL,
	"counter_key" text NOT NULL,
	"period" text NOT NULL,
	"count" integer NOT NULL,
	"evidence" jsonb NOT NULL,
	CONSTRAINT "supervision_counters_rule_counter_key_period_pk" PRIMARY KEY("rule","counter_key","period")
);
--> statement-breakpoint
CREATE TABLE "supervision_rollups" (
	"dim" text NOT NULL,
	"bucket" text NOT NULL,
	"key" text NOT NULL,
	"figures" jsonb NOT NULL,
	CONSTRAINT "supervision_rollups_dim_bucket_key_pk" PRIMARY KEY("dim","bucket","key")
);
--> statement-breakpoint
CREATE TABLE "supervision_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"rule" jsonb NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "supervision_sets" (
	"rule" text NOT NULL,
	"counter_key" text NOT NULL,
	"period" text NOT NULL,
	"member" text NOT NULL,
	CONSTRAINT "supervision_sets_rule_counter_key_period_member_pk" PRIMARY KEY("rule","counter_key","period","member")
);
--> statement-breakpoint
CREATE TABLE "supervision_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"next_index" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "supervision_cards_once" ON "supervision_cards" USING btree ("rule","counter_key","period");--> statement-breakpoint
CREATE INDEX "supervision_cards_state" ON "supervision_cards" USING btree ("state","opened_at");--> statement-breakpoint
CREATE INDEX "supervision_cards_period" ON "supervision_cards" USING btree ("period_from");