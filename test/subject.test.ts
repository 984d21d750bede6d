import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  isValidResidentId,
  isValidUscc,
  makeResidentId,
  makeUscc,
  maskSubjectId,
  normalizeSubjectId,
  randomOpening,
  receiptSubjectMatches,
  residentIdProblem,
  subjectCommitment,
  subjectSchema,
  USCC_CHARSET,
  usccProblem,
} from "../src/catalog/subject.ts";

/* An independent reference for the check chars, written from the standards, to build test data
   with a correct check char but another defect (e.g. an impossible birth date). */
const refResident = (p17: string) =>
  p17 + "10X98765432"[[...p17].reduce((s, c, i) => s + Number(c) * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i]!, 0) % 11]!;
const refUscc = (p17: string) => {
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const c = 31 - ([...p17].reduce((s, ch, i) => s + USCC_CHARSET.indexOf(ch) * w[i]!, 0) % 31);
  return p17 + USCC_CHARSET[c === 31 ? 0 : c]!;
};

const NOW = new Date("2025-06-01T00:00:00Z");
const RESIDENT_CHARS = "0123456789X";

const VALID_RESIDENT_IDS = [
  "11010519491231002X", // the well-known GB 11643 example
  "440304198501011235",
  "320102198001011019",
  "510107200002290010", // 2000-02-29: a leap day
  "130102190001010014", // 1900-01-01: the earliest accepted year
  "44030419900307000X",
  "65010219760815005X",
  "31011519881111006X",
];

const VALID_USCCS = [
  "91350100M000100Y43", // the GB 32100 example
  "914403001922038216",
  "9144030071526726XG",
  "91330100799655058B",
  "91110000802100433B",
  "12100000400000624D", // 事业单位
];

describe("resident id (GB 11643-1999)", () => {
  it.each(VALID_RESIDENT_IDS)("accepts %s", (id) => {
    expect(isValidResidentId(id, NOW)).toBe(true);
    expect(residentIdProblem(id, NOW)).toBeUndefined();
  });

  it.each([
    ["11010519491231002", "length"],
    ["11010519491231002XX", "length"],
    ["", "length"],
    ["11010519491231002x", "format"], // lower-case x: normalise first
    ["1101051949123100AX", "format"],
    ["X1010519491231002X", "format"],
    ["11010519491231002 ", "format"],
    ["110105194912310021", "check-digit"],
    ["11010519491231003X", "check-digit"],
    [refResident("11010519900230002"), "birth-date"], // 19900230
    [refResident("11010519000229001"), "birth-date"], // 1900 is not a leap year
    [refResident("11010518991231001"), "birth-date"], // before 1900
    [refResident("11010519901301001"), "birth-date"], // month 13
    [refResident("11010519900100001"), "birth-date"], // day 00
    [refResident("11010519900132001"), "birth-date"], // day 32
    [refResident("11010519900431001"), "birth-date"], // April 31
    [refResident("11010520250602001"), "birth-date"], // after NOW
  ] as const)("rejects %j (%s)", (id, problem) => {
    expect(residentIdProblem(id, NOW)).toBe(problem);
    expect(isValidResidentId(id, NOW)).toBe(false);
  });

  it("judges 'today' in China time (UTC+8)", () => {
    const id = refResident("11010520240301001");
    expect(isValidResidentId(id, new Date("2024-02-29T16:30:00Z"))).toBe(true); // 00:30 on 1 March in Beijing
    expect(isValidResidentId(id, new Date("2024-02-29T15:30:00Z"))).toBe(false); // still 29 February there
  });

  it("rejects every single-character substitution of the valid ids", () => {
    for (const id of VALID_RESIDENT_IDS) {
      for (let i = 0; i < 18; i++) {
        for (const c of RESIDENT_CHARS) {
          if (c === id[i]) continue;
          const bad = id.slice(0, i) + c + id.slice(i + 1);
          expect(isValidResidentId(bad, NOW), bad).toBe(false);
        }
      }
    }
  });

  it("makeResidentId completes the check char", () => {
    expect(makeResidentId("11010519491231002", NOW)).toBe("11010519491231002X");
    expect(makeResidentId("44030419850101123", NOW)).toBe("440304198501011235");
  });

  it.each(["1101051949123100", "1101051949123100A", "110105199002300020"])("makeResidentId refuses %j", (prefix) => {
    expect(() => makeResidentId(prefix, NOW)).toThrow(RangeError);
  });

  it("makeResidentId refuses an impossible birth date", () => {
    expect(() => makeResidentId("11010519900230002", NOW)).toThrow(/birth-date/);
  });
});

describe("unified social credit code (GB 32100-2015)", () => {
  it.each(VALID_USCCS)("accepts %s", (id) => {
    expect(isValidUscc(id)).toBe(true);
    expect(usccProblem(id)).toBeUndefined();
  });

  it.each([
    ["91350100M000100Y4", "length"],
    ["91350100M000100Y433", "length"],
    ["91350100M000100Y4I", "charset"],
    ["91350100M000100O43", "charset"],
    ["91350100M000100S43", "charset"],
    ["91350100M000100V43", "charset"],
    ["91350100M000100Z43", "charset"],
    ["91350100m000100Y43", "charset"], // lower case: normalise first
    ["91350100M000100Y4-", "charset"],
    [refUscc("91A50100M000100Y4"), "region"],
    [refUscc("913501A0M000100Y4"), "region"],
    ["91350100M000100Y44", "check-digit"],
    ["91350100M000100Y40", "check-digit"],
    ["92350100M000100Y43", "check-digit"],
  ] as const)("rejects %j (%s)", (id, problem) => {
    expect(usccProblem(id)).toBe(problem);
    expect(isValidUscc(id)).toBe(false);
  });

  it("rejects every single-character substitution within the charset", () => {
    for (const id of VALID_USCCS) {
      for (let i = 0; i < 18; i++) {
        for (const c of USCC_CHARSET) {
          if (c === id[i]) continue;
          const bad = id.slice(0, i) + c + id.slice(i + 1);
          expect(isValidUscc(bad), bad).toBe(false);
        }
      }
    }
  });

  it("the check char 31 maps to 0", () => {
    // Find a prefix whose weighted sum is divisible by 31 and check both implementations agree.
    const prefix = fc.sample(fc.stringMatching(/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{9}$/), { numRuns: 5000, seed: 7 }).find((p) => refUscc(p).endsWith("0"));
    expect(prefix).toBeDefined();
    expect(makeUscc(prefix!)).toBe(`${prefix}0`);
  });

  it("makeUscc completes the check char and refuses bad prefixes", () => {
    expect(makeUscc("91350100M000100Y4")).toBe("91350100M000100Y43");
    expect(() => makeUscc("91350100M000100Y")).toThrow(RangeError);
    expect(() => makeUscc("91350100M000100I4")).toThrow(RangeError);
    expect(() => makeUscc("91A50100M000100Y4")).toThrow(/region/);
  });
});

/* ------------------------------------------------------------------ properties */

const pad = (n: number, w: number) => String(n).padStart(w, "0");
const residentPrefix = fc
  .record({
    region: fc.stringMatching(/^\d{6}$/),
    birth: fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2025-05-31T00:00:00Z"), noInvalidDate: true }),
    seq: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ region, birth, seq }) => `${region}${birth.getUTCFullYear()}${pad(birth.getUTCMonth() + 1, 2)}${pad(birth.getUTCDate(), 2)}${pad(seq, 3)}`);
const usccPrefix = fc.stringMatching(/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{9}$/);

describe("properties", () => {
  it("makeResidentId always yields a valid id, agreeing with the reference", () => {
    fc.assert(
      fc.property(residentPrefix, (p) => {
        const id = makeResidentId(p, NOW);
        return isValidResidentId(id, NOW) && id === refResident(p);
      }),
    );
  });

  it("changing any one character of a valid resident id makes it invalid", () => {
    fc.assert(
      fc.property(residentPrefix, fc.nat(17), fc.constantFrom(...RESIDENT_CHARS), (p, i, c) => {
        const id = makeResidentId(p, NOW);
        fc.pre(id[i] !== c);
        return !isValidResidentId(id.slice(0, i) + c + id.slice(i + 1), NOW);
      }),
    );
  });

  it("makeUscc always yields a valid code, agreeing with the reference", () => {
    fc.assert(fc.property(usccPrefix, (p) => isValidUscc(makeUscc(p)) && makeUscc(p) === refUscc(p)));
  });

  it("changing any one character of a valid USCC (within the charset) makes it invalid", () => {
    fc.assert(
      fc.property(usccPrefix, fc.nat(17), fc.constantFrom(...USCC_CHARSET), (p, i, c) => {
        const id = makeUscc(p);
        fc.pre(id[i] !== c);
        return !isValidUscc(id.slice(0, i) + c + id.slice(i + 1));
      }),
    );
  });

  it("masks keep length 18 and only the ends", () => {
    fc.assert(
      fc.property(residentPrefix, usccPrefix, (rp, up) => {
        const rid = makeResidentId(rp, NOW);
        const uid = makeUscc(up);
        const rm = maskSubjectId({ type: "resident-id", id: rid });
        const um = maskSubjectId({ type: "uscc", id: uid });
        return (
          rm.length === 18 && rm === `${rid.slice(0, 4)}${"*".repeat(10)}${rid.slice(14)}` &&
          um.length === 18 && um === `${uid.slice(0, 4)}${"*".repeat(10)}${uid.slice(14)}`
        );
      }),
    );
  });
});

/* ------------------------------------------------------------------ normalisation and schema */

describe("normalizeSubjectId", () => {
  it.each([
    ["11010519491231002x", "11010519491231002X"],
    ["  11010519491231002X\t", "11010519491231002X"],
    ["１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"], // full-width from an IME
    ["91350100m000100y43", "91350100M000100Y43"],
  ])("%j → %j", (raw, norm) => {
    expect(normalizeSubjectId(raw)).toBe(norm);
  });
});

describe("subjectSchema", () => {
  it("normalises the id before checking it", () => {
    expect(subjectSchema.parse({ type: "resident-id", id: " 11010519491231002x " })).toEqual({ type: "resident-id", id: "11010519491231002X" });
    expect(subjectSchema.parse({ type: "uscc", id: "91350100m000100y43", name: "某某科技有限公司" })).toEqual({
      type: "uscc",
      id: "91350100M000100Y43",
      name: "某某科技有限公司",
    });
  });

  it.each([
    [{ type: "resident-id", id: "110105194912310021" }, "not a valid resident id (check digit)"],
    [{ type: "resident-id", id: "1101051949123100" }, "not a valid resident id (length must be 18)"],
    [{ type: "resident-id", id: refResident("11010519900230002") }, "not a valid resident id (birth date)"],
    [{ type: "uscc", id: "91350100M000100Y44" }, "not a valid unified social credit code (check digit)"],
    [{ type: "uscc", id: "11010519491231002X" }, "not a valid unified social credit code (check digit)"],
    [{ type: "uscc", id: "91350100M000100I43" }, "not a valid unified social credit code (only 0-9 and A-Y without I, O, Z, S, V)"],
  ])("rejects %j with a clear message", (input, message) => {
    const r = subjectSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues).toEqual([expect.objectContaining({ path: ["id"], message })]);
  });

  it.each([
    [{ type: "resident-id", id: "11010519491231002X", nmae: "张三" }, []],
    [{ type: "passport", id: "E12345678" }, ["type"]],
    [{ type: "resident-id" }, ["id"]],
    [{ type: "resident-id", id: "11010519491231002X", name: "" }, ["name"]],
    [{ type: "resident-id", id: "11010519491231002X", name: "张".repeat(65) }, ["name"]],
    [{ type: "resident-id", id: 11010519491231002 }, ["id"]],
  ])("rejects %j", (input, path) => {
    const r = subjectSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(path);
  });

  it("accepts a name of 64 chars", () => {
    expect(subjectSchema.safeParse({ type: "resident-id", id: "11010519491231002X", name: "张".repeat(64) }).success).toBe(true);
  });
});

/* ------------------------------------------------------------------ masking and commitments */

describe("maskSubjectId", () => {
  it.each([
    [{ type: "resident-id", id: "11010519491231002X" }, "1101**********002X"],
    [{ type: "resident-id", id: "220102198001011239" }, "2201**********1239"],
    // PROTOCOL v1.1 §3: first 4 and last 4 for every subject type.
    [{ type: "uscc", id: "91350100M000100Y43" }, "9135**********0Y43"],
  ] as const)("%j → %s", (subject, masked) => {
    expect(maskSubjectId(subject)).toBe(masked);
    expect(masked).toHaveLength(18);
  });

  it("masks everything when an id is too short to reveal its ends safely", () => {
    expect(maskSubjectId({ type: "resident-id", id: "12345678" })).toBe("********");
  });
});

describe("subjectCommitment (PROTOCOL v1.1 §3)", () => {
  const reference = (type: string, id: string, opening: Uint8Array) => createHmac("sha256", opening).update(`${type}:${id}`, "utf8").digest("base64url");

  it("is base64url HMAC-SHA256(key = opening, message = UTF-8 type:id), matching node:crypto", async () => {
    const opening = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const commitment = await subjectCommitment({ type: "resident-id", id: "11010519491231002X" }, opening);
    expect(commitment).toBe(reference("resident-id", "11010519491231002X", opening));
    expect(commitment).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // A fixed vector, so a change of algorithm cannot pass unnoticed.
    expect(await subjectCommitment({ type: "uscc", id: "91350100M000100Y43" }, new Uint8Array(32))).toBe(reference("uscc", "91350100M000100Y43", new Uint8Array(32)));
  });

  it("matches node:crypto for random openings and ids", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string({ unit: "grapheme", maxLength: 20 }), async (opening, id) => {
        expect(await subjectCommitment({ type: "resident-id", id }, opening)).toBe(reference("resident-id", id, opening));
      }),
      { numRuns: 50 },
    );
  });

  it("randomOpening gives 32 fresh bytes", () => {
    const a = randomOpening();
    expect(a).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(randomOpening()))).toBe(false);
  });

  it("receiptSubjectMatches opens with the right id and opening only", async () => {
    const id = "11010519491231002X";
    const opening = randomOpening();
    const subject = { type: "resident-id", masked: "1101**********002X", commitment: await subjectCommitment({ type: "resident-id", id }, opening) };
    const b64 = Buffer.from(opening).toString("base64url");
    expect(await receiptSubjectMatches(subject, { type: "resident-id", id }, b64)).toBe(true);
    // The clerk's typing, normalised as the gateway normalises it.
    expect(await receiptSubjectMatches(subject, { type: "resident-id", id: " 11010519491231002x" }, b64)).toBe(true);
    expect(await receiptSubjectMatches(subject, { type: "resident-id", id: "110105194912310029" }, b64)).toBe(false);
    expect(await receiptSubjectMatches(subject, { type: "uscc", id }, b64)).toBe(false);
    expect(await receiptSubjectMatches(subject, { type: "resident-id", id }, Buffer.from(randomOpening()).toString("base64url"))).toBe(false);
    expect(await receiptSubjectMatches(subject, { type: "resident-id", id }, "not base64url!")).toBe(false);
    expect(await receiptSubjectMatches(subject, { type: "resident-id", id }, b64.slice(0, 20))).toBe(false);
    expect(await receiptSubjectMatches({ type: "resident-id", salt: "x", digest: "y" }, { type: "resident-id", id }, b64)).toBe(false);
    expect(await receiptSubjectMatches(undefined, { type: "resident-id", id }, b64)).toBe(false);
  });
});
