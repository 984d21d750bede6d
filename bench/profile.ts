/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`, which `npm run bench -- --cpu-prof` passes to
 * the gateway) and tells where the time went: self and inclusive time per function, and self
 * time per module (a package under node_modules, a file under src/, or node's internals).
 *
 * Run: `npx tsx bench/profile.ts <file.cpuprofile> [top] [from-to,…]` (windows in µs of CLOCK_MONOTONIC)
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  idlePct: number;
  gcPct: number;
  topSelf: { fn: string; where: string; ms: number; pct: number }[];
  topInclusive: { fn: string; where: string; ms: number; pct: number }[];
  /** Inclusive time of the gateway's own functions (src/): where a request spends its time. */
  topInclusiveSrc: { fn: string; where: string; ms: number; pct: number }[];
  byModule: { module: string; ms: number; pct: number }[];
}

/** node_modules/<pkg> (scoped too), src/<file>, node:internal, or "(program)" etc. */
function moduleOf(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/(src|bench)\/(.+)$/.exec(url);
  if (src) return `${src[1]}/${src[2]}`;
  if (url.startsWith("node:")) return url.split("/").slice(0, 2).join("/");
  return url.replace(/^file:\/\//, "");
}

const short = (url: string) => url.replace(/^file:\/\/.*?\/(node_modules|src|bench)\//, "$1/").replace(/^node:internal\//, "node:");

/**
 * @example const s = summariseProfile(JSON.parse(readFileSync(file, "utf8")), 25);
 */
export function summariseProfile(profile: CpuProfile, top = 25, windows?: [number, number][]): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"}\t${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const modules = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let gc = 0;
  // Sample times are V8 TimeTicks (µs, CLOCK_MONOTONIC): comparable with process.hrtime.bigint() / 1000n.
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id);
    if (!node) return;
    if (windows && !windows.some(([from, to]) => t >= from && t <= to)) return;
    total += dt;
    const fn = node.callFrame.functionName;
    if (fn === "(idle)") idle += dt;
    if (fn === "(garbage collector)") gc += dt;
    self.set(key(node), (self.get(key(node)) ?? 0) + dt);
    const mod = moduleOf(node.callFrame.url, fn);
    modules.set(mod, (modules.get(mod) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const busy = total - idle;
  const rows = (m: Map<string, number>, exclude: (k: string) => boolean) =>
    [...m.entries()]
      .filter(([k]) => !exclude(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => {
        const [fn, where] = k.split("\t");
        return { fn: fn!, where: where!, ms: Math.round(ms), pct: Math.round((1000 * ms) / busy) / 10 };
      });
  const structural = (k: string) => /^\((root|program|idle)\)/.test(k);
  return {
    totalMs: Math.round(total),
    idlePct: Math.round((1000 * idle) / total) / 10,
    gcPct: Math.round((1000 * gc) / busy) / 10,
    topSelf: rows(self, (k) => k.startsWith("(idle)")),
    topInclusive: rows(inclusive, structural),
    topInclusiveSrc: rows(inclusive, (k) => !k.includes("\tsrc/")),
    byModule: [...modules.entries()]
      .filter(([k]) => k !== "(idle)")
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, ms]) => ({ module, ms: Math.round(ms), pct: Math.round((1000 * ms) / busy) / 10 })),
  };
}

/** A printable table of a summary (percentages are of non-idle time). */
export function formatProfile(s: ProfileSummary): string {
  const lines = [`profile: ${s.totalMs} ms sampled, ${s.idlePct}% idle, GC ${s.gcPct}% of busy time`, "", "self time (% of busy):"];
  for (const r of s.topSelf) lines.push(`  ${String(r.pct).padStart(5)}%  ${r.fn}  ${r.where}`);
  lines.push("", "inclusive time (% of busy):");
  for (const r of s.topInclusive) lines.push(`  ${String(r.pct).padStart(5)}%  ${r.fn}  ${r.where}`);
  lines.push("", "inclusive time, gateway code (src/):");
  for (const r of s.topInclusiveSrc) lines.push(`  ${String(r.pct).padStart(5)}%  ${r.fn}  ${r.where}`);
  lines.push("", "self time by module:");
  for (const r of s.byModule) lines.push(`  ${String(r.pct).padStart(5)}%  ${r.module}`);
  return lines.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: tsx bench/profile.ts <file.cpuprofile> [top]\n");
    process.exit(2);
  }
  // Optional third argument: time windows "from-to,from-to" in µs of CLOCK_MONOTONIC (run.ts records them).
  const windows = process.argv[4]?.split(",").map((w) => w.split("-").map(Number) as [number, number]);
  process.stdout.write(formatProfile(summariseProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, Number(process.argv[3] ?? 25), windows)) + "\n");
}
