import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { lineDiff, pretty } from "../../src/console/diff.ts";

describe("the console's change diff", () => {
  it("shows a changed line as removed then added, in canonical key order", () => {
    const d = lineDiff(pretty({ name: "A", enabled: true }), pretty({ enabled: false, name: "A" }));
    expect(d).toEqual([
      { op: "same", text: "{" },
      { op: "del", text: '  "enabled": true,' },
      { op: "add", text: '  "enabled": false,' },
      { op: "same", text: '  "name": "A"' },
      { op: "same", text: "}" },
    ]);
    expect(lineDiff("", pretty({ a: 1 })).every((l) => l.op === "add")).toBe(true);
  });

  it("keeps every line of both sides, in order (property)", () => {
    const lines = fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const d = lineDiff(a.join("\n"), b.join("\n"));
        expect(d.filter((l) => l.op !== "add").map((l) => l.text)).toEqual(a.length ? a : []);
        expect(d.filter((l) => l.op !== "del").map((l) => l.text)).toEqual(b.length ? b : []);
      }),
    );
  });
});
