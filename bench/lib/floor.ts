/**
 * The protocol's own CPU floor per verification, measured in the benchmark's run: two Ed25519
 * verifications (the window's request token, the department's signed answer) and two Ed25519
 * signatures (the gateway's token to the department, the receipt), with node:crypto as the
 * gateway does them, on inputs the size of the real ones. Nothing a gateway does can cost less.
 */
import { generateKeyPairSync, sign, verify } from "node:crypto";

export interface Floor {
  /** CPU milliseconds for 2 verifications + 2 signatures. */
  cpuMsPerVerification: number;
  verifyUs: number;
  signUs: number;
  rounds: number;
}

/**
 * CPU per operation over about `budgetMs` of CPU, verifications and signatures in alternating
 * slices so a neighbour's load spike hits both alike.
 * @example
 * const floor = measureFloor(1000); // { cpuMsPerVerification: 0.33, … }
 */
export function measureFloor(budgetMs = 1000): Floor {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  // A request token's signing input is ≈ 600 bytes, an answer's ≈ 400, a receipt's ≈ 900.
  const inputs = [600, 400, 900, 500].map((n) => Buffer.alloc(n, 0x61));
  const sigs = inputs.map((d) => sign(null, d, privateKey));
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  let verifyCpu = 0;
  let signCpu = 0;
  let n = 0;
  for (let i = 0; i < 50; i++) verify(null, inputs[0]!, publicKey, sigs[0]!) && sign(null, inputs[2]!, privateKey);
  while ((verifyCpu + signCpu) / 1000 < budgetMs) {
    let t = cpu();
    for (let k = 0; k < 50; k++) {
      if (!verify(null, inputs[0]!, publicKey, sigs[0]!) || !verify(null, inputs[1]!, publicKey, sigs[1]!)) throw new Error("floor: a signature did not verify");
    }
    verifyCpu += cpu() - t;
    t = cpu();
    for (let k = 0; k < 50; k++) {
      sign(null, inputs[2]!, privateKey);
      sign(null, inputs[3]!, privateKey);
    }
    signCpu += cpu() - t;
    n += 50;
  }
  const verifyUs = verifyCpu / (2 * n);
  const signUs = signCpu / (2 * n);
  return { cpuMsPerVerification: (2 * verifyUs + 2 * signUs) / 1000, verifyUs, signUs, rounds: n };
}
