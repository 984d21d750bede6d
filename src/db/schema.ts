/**
 * The one drizzle schema, shared by PGlite (embedded default, tests) and PostgreSQL; the tables
 * live in src/db/tables/ by area and are all exported from here (drizzle.config.ts reads this file).
 *
 * Privacy rule (PIPL): no column here holds a raw person id. People appear only as keyed
 * HMAC references (`subject_ref`), and the key never lives in the database.
 */
import { members, gatewayKeys, requestNonces, evidenceTypes, matters, adapters, adapterVersions, policies, policyVersions } from "./tables/config.ts";
import { ledgerHead, ledgerEntries, ledgerNodes, ledgerCheckpoints, ledgerCheckpointer, ledgerCosignatures } from "./tables/ledger.ts";
import { consents, consentUses, quotaCounters, rateLimitCounters } from "./tables/consent.ts";
import { consoleSessions, consoleIdentities } from "./tables/console.ts";
import { supervisionState, supervisionRollups, supervisionRules, supervisionCounters, supervisionSets, supervisionCards } from "./tables/supervision.ts";

export {
  members,
  gatewayKeys,
  requestNonces,
  evidenceTypes,
  matters,
  adapters,
  adapterVersions,
  policies,
  policyVersions,
  ledgerHead,
  ledgerEntries,
  ledgerNodes,
  ledgerCheckpoints,
  ledgerCheckpointer,
  ledgerCosignatures,
  consents,
  consentUses,
  quotaCounters,
  rateLimitCounters,
  consoleSessions,
  consoleIdentities,
  supervisionState,
  supervisionRollups,
  supervisionRules,
  supervisionCounters,
  supervisionSets,
  supervisionCards,
};

export const schema = {
  members,
  gatewayKeys,
  requestNonces,
  evidenceTypes,
  matters,
  adapters,
  policies,
  policyVersions,
  ledgerHead,
  ledgerEntries,
  ledgerNodes,
  ledgerCheckpoints,
  ledgerCheckpointer,
  ledgerCosignatures,
  adapterVersions,
  consents,
  consentUses,
  quotaCounters,
  rateLimitCounters,
  consoleSessions,
  consoleIdentities,
  supervisionState,
  supervisionRollups,
  supervisionRules,
  supervisionCounters,
  supervisionSets,
  supervisionCards,
};
