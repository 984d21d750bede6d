/**
 * Per-operation cost of the hot-path cryptography, both `#crypto-native` variants measured in the
 * same run (so the ratio holds even on a busy machine), plus the JWS verification a request costs
 * with our verifier against jose's compactVerify.
 *
 * Run: `npx tsx bench/crypto.ts [milliseconds per case, default 300]`
 */
import { generateKeyPairSync } from "node:crypto";
import { compactVerify, importJWK } from "jose";
import * as node from "../src/crypto/native.node.ts";
import * as web from "../src/crypto/native.web.ts";
import { b64url, utf8 } from "../src/crypto/encoding.ts";
import { verifyCompactJws } from "../src/crypto/jws.ts";
import type { NativeCrypto, SignatureAlg } from "../src/crypto/primitives.ts";

const budgetMs = Number(process.argv[2] ?? 300);

/**
 * µs per call of each op, awaited one after another, about `budgetMs` each after a short warm-up.
 * The ops take turns in 10 slices, so a neighbour's load spike hits both sides of a ratio alike.
 */
async function perOp(ops: (() => Promise<unknown>)[]): Promise<{ wall: number; cpu: number }[]> {
  const totals = ops.map(() => ({ ms: 0, cpuUs: 0, n: 0 }));
  for (const op of ops) for (let i = 0; i < 200; i++) await op();
  for (let slice = 0; slice < 10; slice++) {
    for (const [i, op] of ops.entries()) {
      const start = performance.now();
      const cpu = process.cpuUsage();
      while (performance.now() - start < budgetMs / 10) {
        for (let k = 0; k < 20; k++) await op();
        totals[i]!.n += 20;
      }
      const used = process.cpuUsage(cpu);
      totals[i]!.ms += performance.now() - start;
      totals[i]!.cpuUs += used.user + used.system;
    }
  }
  return totals.map((t) => ({ wall: (t.ms * 1000) / t.n, cpu: t.cpuUs / t.n }));
}

const body = utf8(JSON.stringify({ matter: "220100-public-rental-housing", case: "C-1", subject: { type: "resident-id", id: "11010519491231002X" }, evidence: [{ type: "housing.no-property-proof" }] }).repeat(3));
const keys = (alg: SignatureAlg) => {
  const { privateKey, publicKey } = alg === "EdDSA" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateJwk: privateKey.export({ format: "jwk" }), publicJwk: publicKey.export({ format: "jwk" }) };
};

async function cases(native: NativeCrypto): Promise<Record<string, () => Promise<unknown>>> {
  const mac = await native.hmacSha256Key(crypto.getRandomValues(new Uint8Array(32)));
  const out: Record<string, () => Promise<unknown>> = {
    [`sha256 (${body.byteLength} B)`]: () => native.sha256(body),
    "hmac-sha256 (subject ref)": () => mac.mac("resident-id:11010519491231002X"),
  };
  for (const alg of ["EdDSA", "ES256"] as const) {
    const { privateJwk, publicJwk } = keys(alg);
    const signer = await native.importSigner(privateJwk);
    const verifier = await native.importVerifier(publicJwk, alg);
    const input = utf8(`${b64url(utf8(JSON.stringify({ alg, kid: "k", typ: "huren-req+jwt" })))}.${b64url(body)}`);
    const signature = await signer.sign(input);
    const token = `${new TextDecoder().decode(input)}.${b64url(signature)}`;
    out[`${alg} sign`] = () => signer.sign(input);
    out[`${alg} verify`] = () => verifier.verify(input, signature);
    out[`${alg} JWS verify (ours)`] = () => verifyCompactJws(token, verifier, [alg]);
    if (native.backend === "web") {
      const joseKey = await importJWK({ ...publicJwk } as Parameters<typeof importJWK>[0], alg);
      out[`${alg} JWS verify (jose)`] = () => compactVerify(token, joseKey, { algorithms: [alg] });
    }
  }
  return out;
}

const nodeCases = await cases(node);
const webCases = await cases(web);
console.log(`per operation, µs: wall time awaited in sequence, and CPU of all threads (WebCrypto works on libuv's pool)`);
console.log(`(${budgetMs} ms per case, Node ${process.version})`);
console.log(`${"".padEnd(28)}${"node".padStart(8)}${"web".padStart(8)}${"web/node".padStart(9)}${"cpu node".padStart(10)}${"cpu web".padStart(9)}${"web/node".padStart(9)}`);
const fmt = (v: number | undefined, width: number) => (v === undefined ? "—" : v.toFixed(1)).padStart(width);
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined ? `${(b / a).toFixed(1)}×` : "").padStart(9);
for (const name of new Set([...Object.keys(nodeCases), ...Object.keys(webCases)])) {
  const present = [nodeCases[name], webCases[name]];
  const timed = await perOp(present.filter((op) => op !== undefined));
  const [n, w] = present[0] && present[1] ? timed : present[0] ? [timed[0], undefined] : [undefined, timed[0]];
  console.log(`${name.padEnd(28)}${fmt(n?.wall, 8)}${fmt(w?.wall, 8)}${ratio(n?.wall, w?.wall)}${fmt(n?.cpu, 10)}${fmt(w?.cpu, 9)}${ratio(n?.cpu, w?.cpu)}`);
}
