/**
 * Reads the Prometheus text exposition format with the reference parser of the Prometheus
 * project's own Python client (prometheus_client.parser), in a child process. The one npm
 * parser (parse-prometheus-text-format, unmaintained since 2019) folds every labelled histogram
 * series into one and drops their labels, so it cannot check a histogram by route.
 * CI installs the module (.ci/run: Debian's python3-prometheus-client, else pip); elsewhere
 * `apt-get install python3-prometheus-client` or `python3 -m pip install prometheus-client`. The
 * first interpreter that has it is used: `python3` on the PATH (pyenv's, on this machine), then
 * Debian's own `/usr/bin/python3`, where the Debian package installs.
 */
import { spawnSync } from "node:child_process";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  samples: ParsedSample[];
}

const SCRIPT = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]})
print(json.dumps(out))
`;

const INTERPRETERS = ["python3", "/usr/bin/python3"];
let python: string | null | undefined;

/** The first interpreter that can import the parser, or null. */
function pythonWithParser(): string | null {
  if (python !== undefined) return python;
  python = INTERPRETERS.find((exe) => spawnSync(exe, ["-c", "import prometheus_client.parser"], { encoding: "utf8" }).status === 0) ?? null;
  return python;
}

/** Why the parser cannot run here, or undefined when it can. */
export function prometheusParserMissing(): string | undefined {
  if (pythonWithParser()) return undefined;
  const probe = spawnSync("python3", ["--version"], { encoding: "utf8" });
  if (probe.error) return `python3 not found (${probe.error.message})`;
  return "the Python module prometheus_client is not installed (apt-get install python3-prometheus-client, or python3 -m pip install prometheus-client)";
}

/** Parses exposition text; throws with the parser's message if the text is not valid. */
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  const run = spawnSync(pythonWithParser() ?? "python3", ["-c", SCRIPT], { input: text, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`prometheus_client could not parse the exposition: ${run.stderr}`);
  const families = JSON.parse(run.stdout) as ParsedFamily[];
  return new Map(families.map((f) => [f.name, f]));
}

/** Sum of the samples named `sample` whose labels include `labels`. */
export function sampleSum(families: Map<string, ParsedFamily>, family: string, sample: string, labels: Record<string, string> = {}): number {
  const f = families.get(family);
  if (!f) throw new Error(`no metric family ${family}`);
  return f.samples.filter((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}
