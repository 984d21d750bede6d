/**
 * `huren` — the command line for every role (docs/cli.md): `verify` (a window's signed
 * verification, printing the answer and the checked receipt), `keygen`, `secret`, `check` (a
 * department's conformance check before registering), `ledger` (the offline verifier), admin
 * `apply`/`diff` and lists, department `adapters …`, auditor `audit …`.
 */
import { parseArgs } from "node:util";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { generateSecret } from "../crypto/secrets.ts";
import { checkReceipt, loadKeyFile, signedFetch } from "./client.ts";
import { CHECK_USAGE, checkCommand } from "./check.ts";
import { LEDGER_USAGE, ledgerCommand } from "./ledger.ts";
import { ADMIN_USAGE, applyCommand, diffCommand, listCommand } from "./admin.ts";
import { ADAPTERS_USAGE, adaptersCommand } from "./adapters.ts";
import { AUDIT_USAGE, auditCommand } from "./audit.ts";
import { EXIT, exitQuietlyOnEpipe, reportError, usage } from "./output.ts";
import { WITNESS_USAGE, witnessCommand } from "../witness/command.ts";
import { RECEIPT_USAGE, receiptCommand } from "./receipt.ts";
import { KEYS_USAGE, keysCommand } from "./keys.ts";
import { SUPERVISION_USAGE, supervisionCommand } from "./supervision.ts";

const USAGE = `usage:
  huren verify --key FILE --matter CODE --case ID --subject TYPE:ID [--name NAME]
               [--evidence TYPE[:field,field]]... [--consent TOKEN] [--gateway URL] [--json]
  huren keygen --member ID [--gateway URL --gateway-id ID] [--uid STAFF]   (prints a key file; register its public jwk)
  huren secret                                                            (prints a new HUREN_SECRET)
${CHECK_USAGE}
${LEDGER_USAGE}
${WITNESS_USAGE}
${RECEIPT_USAGE}
${KEYS_USAGE}
${ADMIN_USAGE}
${ADAPTERS_USAGE}
${AUDIT_USAGE}
${SUPERVISION_USAGE}

exit codes: 0 done, 1 refused or failed, 2 usage, 3 gateway unreachable, 4 diff found changes`;

async function verifyCommand(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      key: { type: "string" },
      gateway: { type: "string" },
      matter: { type: "string" },
      case: { type: "string" },
      subject: { type: "string" },
      name: { type: "string" },
      evidence: { type: "string", multiple: true },
      consent: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  if (!values.key || !values.matter || !values.case || !values.subject) throw usage("verify needs --key, --matter, --case and --subject");
  const [type, ...rest] = values.subject.split(":");
  const key = await loadKeyFile(values.key);
  const gateway = values.gateway ?? key.gateway;
  const body = {
    matter: values.matter,
    case: values.case,
    subject: { type, id: rest.join(":"), ...(values.name ? { name: values.name } : {}) },
    ...(values.evidence
      ? {
          evidence: values.evidence.map((e) => {
            const [t, fields] = e.split(":");
            return { type: t, ...(fields ? { fields: fields.split(",") } : {}) };
          }),
        }
      : {}),
    ...(values.consent ? { consent: values.consent } : {}),
  };
  const res = await signedFetch(key, "POST", "/v1/verifications", body, gateway);
  const answer = res.body as { receipt?: string; subjectOpening?: string };
  const subject = { type: type ?? "", id: body.subject.id, opening: answer.subjectOpening };
  const receipt = res.status === 200 && answer.receipt ? await checkReceipt(answer.receipt, gateway, { iss: key.gatewayId, aud: key.member, subject }) : undefined;
  if (values.json) {
    process.stdout.write(JSON.stringify({ status: res.status, answer, receipt }, null, 2) + "\n");
  } else {
    process.stdout.write(`HTTP ${res.status}\n${JSON.stringify({ ...(answer as object), receipt: answer.receipt ? `${answer.receipt.slice(0, 32)}…` : undefined }, null, 2)}\n`);
    if (receipt) process.stdout.write(`\nReceipt (signature checked against ${gateway}/.well-known/jwks.json; its subject commitment opens to the subject sent):\n${JSON.stringify(receipt, null, 2)}\n`);
  }
  if (res.status !== 200) process.exitCode = 1;
}

async function keygenCommand(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: { member: { type: "string" }, gateway: { type: "string", default: "http://127.0.0.1:8787" }, "gateway-id": { type: "string", default: "huren.localhost" }, uid: { type: "string" } } });
  if (!values.member) throw usage("keygen needs --member");
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = (await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! })).slice(0, 16);
  const { d: _d, ...publicJwk } = jwk;
  process.stdout.write(JSON.stringify({ gateway: values.gateway, gatewayId: values["gateway-id"], member: values.member, ...(values.uid ? { uid: values.uid } : {}), jwk, publicJwk }, null, 2) + "\n");
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  switch (command) {
    case "verify":
      return verifyCommand(rest);
    case "ledger":
      return ledgerCommand(rest);
    case "receipt":
      return receiptCommand(rest);
    case "keys":
      return keysCommand(rest);
    case "supervision":
      return supervisionCommand(rest);
    case "check":
      if (!(await checkCommand(rest))) process.exitCode = 1;
      return;
    case "keygen":
      return keygenCommand(rest);
    case "apply":
      return applyCommand(rest);
    case "diff":
      return diffCommand(rest);
    case "members":
    case "matters":
    case "policies":
      return listCommand(command, rest);
    case "adapters":
      return adaptersCommand(rest);
    case "audit":
      return auditCommand(rest);
    case "witness":
      return witnessCommand(rest);
    case "secret":
      process.stdout.write(generateSecret() + "\n");
      return;
    default:
      process.stdout.write(USAGE + "\n");
      if (command && command !== "help" && command !== "--help") process.exitCode = EXIT.usage;
  }
}

exitQuietlyOnEpipe();
main(process.argv.slice(2)).catch(reportError);
