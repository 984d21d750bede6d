/**
 * The diff an admin sees before a change is applied: both versions as canonical, indented JSON,
 * compared line by line (longest common subsequence). Pure; documents here are small (a member,
 * an adapter, a policy), so the quadratic table is fine — inputs past MAX_LINES fall back to
 * "everything removed, everything added" rather than spending the CPU.
 */
import canonicalize from "canonicalize";

export type DiffLine = { op: "same" | "add" | "del"; text: string };

const MAX_LINES = 2000;

/** Keys sorted (RFC 8785 order), two-space indent: the same document always prints the same. */
export const pretty = (value: unknown): string => (value === undefined ? "" : JSON.stringify(JSON.parse(canonicalize(value) ?? "null"), null, 2));

/**
 * @example
 * lineDiff("a\nb", "a\nc") // [{ op: "same", text: "a" }, { op: "del", text: "b" }, { op: "add", text: "c" }]
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before === "" ? [] : before.split("\n");
  const b = after === "" ? [] : after.split("\n");
  if (a.length > MAX_LINES || b.length > MAX_LINES) return [...a.map((text) => ({ op: "del" as const, text })), ...b.map((text) => ({ op: "add" as const, text }))];
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) out.push({ op: "same", text: a[i++]! }), j++;
    else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: "del", text: a[i++]! });
    else out.push({ op: "add", text: b[j++]! });
  }
  while (i < a.length) out.push({ op: "del", text: a[i++]! });
  while (j < b.length) out.push({ op: "add", text: b[j++]! });
  return out;
}

/** Whether a diff changes anything. */
export const changes = (d: DiffLine[]) => d.some((l) => l.op !== "same");
