CREATE TABLE "console_identities" (
	"issuer" text DEFAULT '' NOT NULL,
	"subject" text NOT NULL,
	"member" text NOT NULL,
	"uid" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"changed_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "console_identities_issuer_subject_pk" PRIMARY KEY("issuer","subject")
);
--> statement-breakpoint
ALTER TABLE "console_identities" ADD CONSTRAINT "console_identities_member_members_id_fk" FOREIGN KEY ("member") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;