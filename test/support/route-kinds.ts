/**
 * Every signed route (PROTOCOL §2: `security: signedRequest` in the app's OpenAPI registry) and
 * the member kinds that may call it. test/security/route-kinds.security.test.ts derives the
 * routes from the registry: a route without a row here, or a row naming no route, fails it; then
 * every route is called by every kind. A new route starts here, with the fewest kinds that need it.
 */
import { MEMBER_KINDS, type MemberKind } from "../../src/members/members.ts";

const ALL = MEMBER_KINDS;

export const ROUTE_KINDS: Record<string, readonly MemberKind[]> = {
  // §4 members: the admin's alone (a department cannot touch its own grants).
  "PUT /v1/members/{id}": ["admin"],
  "GET /v1/members": ["admin"],
  "GET /v1/members/{id}": ["admin"],
  // Console sign-in identities (#12): who may sign in to the console as which member is the admin's call.
  "PUT /v1/console/identities": ["admin"],
  "GET /v1/console/identities": ["admin"],
  // §7 catalog: reference data every member reads; only the admin changes it.
  "GET /v1/catalog/evidence-types": ALL,
  "GET /v1/catalog/evidence-types/{type}": ALL,
  "PUT /v1/catalog/evidence-types/{type}": ["admin"],
  "GET /v1/catalog/matters": ALL,
  "GET /v1/catalog/matters/{code}": ALL,
  "PUT /v1/catalog/matters/{code}": ["admin"],
  // §4 adapters: the admin, or the owning department (ownership is checked per adapter).
  "PUT /v1/adapters/{id}": ["admin", "department"],
  "GET /v1/adapters": ["admin", "department"],
  "GET /v1/adapters/{id}": ["admin", "department"],
  "GET /v1/adapters/{id}/versions": ["admin", "department"],
  "POST /v1/adapters/{id}/check": ["admin", "department"],
  // Policies: the admin writes; an auditor may read versions and evaluate (to explain a decision).
  "PUT /v1/policies/{id}": ["admin"],
  "GET /v1/policies": ["admin"],
  "GET /v1/policies/{id}": ["admin"],
  "GET /v1/policies/{id}/versions/{version}": ["admin", "auditor"],
  "POST /v1/policies/evaluate": ["admin", "auditor"],
  // §6 consents: issued by consent collectors and windows.
  "POST /v1/consents": ["consent-collector", "window"],
  "GET /v1/consents/{id}": ["consent-collector", "window"],
  "POST /v1/consents/{id}/revoke": ["consent-collector", "window"],
  // §3
  "POST /v1/verifications": ["window"],
  // §5 ledger: auditors; a window for proofs of its own entries.
  "GET /v1/ledger/entries/{index}": ["auditor"],
  "GET /v1/ledger/proofs/inclusion": ["auditor", "window"],
  "GET /v1/ledger/proofs/consistency": ["auditor", "window"],
  "GET /v1/ledger/proofs/bundle": ["auditor", "window"],
  "GET /v1/ledger/tile/entries/{N}": ["auditor"],
  "POST /v1/keys/rotate": ["admin"],
  // §8 audit: auditors and no other kind.
  "POST /v1/audit/search": ["auditor"],
  "POST /v1/audit/subject-report": ["auditor"],
  "GET /v1/audit/export": ["auditor"],
  // §8 a person's own report, through the city's service app that authenticated them.
  "POST /v1/subjects/access-report": ["consent-collector"],
  // §10 supervision: the supervision office reads (the admin too); only it acts on cards.
  "GET /v1/supervision/departments": ["supervisor", "admin"],
  "GET /v1/supervision/ranking": ["supervisor", "admin"],
  "GET /v1/supervision/windows": ["supervisor", "admin"],
  "GET /v1/supervision/denials": ["supervisor", "admin"],
  "GET /v1/supervision/cards": ["supervisor", "admin"],
  "POST /v1/supervision/cards/{id}/acknowledge": ["supervisor"],
  "POST /v1/supervision/cards/{id}/close": ["supervisor"],
  "GET /v1/supervision/rules": ["supervisor", "admin"],
  "PUT /v1/supervision/rules/{id}": ["admin"],
  "GET /v1/supervision/reports/monthly": ["supervisor", "admin"],
};

/** A value for each path parameter, so a route can be called (what it names need not exist). */
export const SAMPLE_PARAMS: Record<string, string> = {
  id: "route-kinds-sample",
  type: "housing.no-property-proof",
  code: "220100-public-rental-housing",
  version: "1",
  index: "0",
  N: "000",
};
