/**
 * The console's stylesheet and its one script, as modules so every build (Node bundle, Worker) serves
 * them with no file system. String.raw keeps the script's escapes as written; neither contains a
 * backtick or a template placeholder.
 */
export const CONSOLE_CSS = String.raw`/* Huren console: plain, legible, high contrast (WCAG AA), and printable on A4. */
:root{--ink:#1a1f2b;--muted:#4a5468;--line:#cfd6e2;--brand:#0f3d6e;--ok:#176a3a;--bad:#a1261c;--bg:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 "PingFang SC","Microsoft YaHei","Noto Sans CJK SC",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
.top{display:flex;flex-wrap:wrap;gap:16px;align-items:center;background:var(--brand);color:#fff;padding:10px 20px}
.top a,.top button{color:#fff}.brand{font-weight:700}
.top nav ul{list-style:none;display:flex;gap:14px;margin:0;padding:0}
.who{margin-left:auto;display:flex;gap:8px;align-items:center}
.who button{background:transparent;border:1px solid #fff;border-radius:4px;padding:2px 10px;cursor:pointer}
main{max-width:1100px;margin:0 auto;padding:16px 20px}
h1{font-size:22px}h2{font-size:17px}
.en{color:var(--muted);font-size:.85em}.top .en,button .en,.button .en{color:#e8eef6}
.figures{display:flex;flex-wrap:wrap;gap:12px;margin:0}
.figures div{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 16px;min-width:180px}
.figures dd{margin:0;font-size:26px;font-weight:700}
.chart{width:100%;max-width:480px;height:auto;background:#fff;border:1px solid var(--line);margin-top:12px}
figure{margin:16px 0}figcaption{color:var(--muted)}
.bar{fill:var(--brand)}.bar.denied{fill:var(--bad)}.bar.unavailable{fill:#b7791f}
form.filters{display:grid;gap:8px}
fieldset{border:1px solid var(--line);border-radius:6px;display:flex;flex-wrap:wrap;gap:10px;background:#fff}
label{display:flex;flex-direction:column;font-size:13px;gap:2px}
input,select,button{font:inherit;padding:4px 6px}
button{background:var(--brand);color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}
.button{display:inline-block;background:var(--brand);color:#fff;padding:6px 14px;border-radius:4px;text-decoration:none}
table.entries{border-collapse:collapse;width:100%;background:#fff;margin:12px 0}
table.entries th,table.entries td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
.error{color:var(--bad);font-weight:600}.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}
pre{background:#fff;border:1px solid var(--line);padding:8px;overflow:auto}
dl.entry{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dl.entry dd{margin:0}
table.diff{border-collapse:collapse;width:100%;background:#fff;font:13px/1.4 ui-monospace,"Noto Sans Mono CJK SC",monospace;margin:12px 0}
table.diff th{text-align:left;border-bottom:1px solid var(--line);padding:2px 6px}
table.diff td{padding:0 6px;white-space:pre-wrap;vertical-align:top}table.diff td:first-child{width:2em}
.diff-add{background:#e3f4e8}.diff-del{background:#fbe5e2}.diff-add td:first-child{color:var(--ok)}.diff-del td:first-child{color:var(--bad)}
.actions{display:flex;gap:12px;align-items:center;margin:12px 0}
table.entries form{display:inline-block;margin:2px 4px 2px 0}
details.versions{margin:6px 0}
svg.trend{vertical-align:middle;background:#fff}svg .grid{stroke:var(--line);stroke-width:1}svg .line{fill:none;stroke:var(--brand);stroke-width:1.5}
svg .dot{fill:var(--brand)}svg .dot.low{fill:var(--bad)}
.subnav ul{list-style:none;display:flex;gap:14px;margin:0 0 8px;padding:0}.subnav a[aria-current=page]{font-weight:700}
form.editor{display:grid;gap:8px}form.editor textarea{width:100%;font:13px/1.4 ui-monospace,"Noto Sans Mono CJK SC",monospace}
ul.plain{list-style:none;margin:0;padding:0}
progress{width:100%;max-width:480px;height:14px}
@page{size:A4;margin:18mm 15mm}
@media print{.top,.no-print{display:none}body{background:#fff;font-size:11pt}main{max-width:none;padding:0}table.entries{font-size:10pt}a{color:inherit;text-decoration:none}}
`;

/**
 * What both ledger scripts share, checked in the browser with WebCrypto: the checkpoint's Ed25519
 * signature by the ledger key (C2SP signed-note) and RFC 9162 §2.1.3.2 inclusion proofs. The server
 * only supplies data; a tampered page or answer cannot make a wrong proof pass.
 */
const LEDGER_LIB = String.raw`const hurenLedger = (() => {
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const sha = async (...parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  };
  const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  /** The checkpoint's origin, size and root, once its signature by vkey verifies; else throws. */
  async function verifyNote(note, vkey) {
    const split = note.indexOf("\n\n");
    const body = note.slice(0, split + 1);
    const [origin, sizeText, rootText] = body.split("\n");
    vkey = vkey.trim();
    const i = vkey.indexOf("+"), j = vkey.indexOf("+", i + 1);
    const keyName = vkey.slice(0, i), keyHash = vkey.slice(i + 1, j), keyBytes = b64(vkey.slice(j + 1));
    if (keyName !== origin) throw new Error("检查点不属于该账本 checkpoint is for another log");
    const key = await crypto.subtle.importKey("raw", keyBytes.slice(1), { name: "Ed25519" }, false, ["verify"]);
    let signed = false;
    for (const line of note.slice(split + 2).split("\n")) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || m[1] !== keyName) continue;
      const sig = b64(m[2]);
      const hex = Array.from(sig.slice(0, 4), (x) => x.toString(16).padStart(2, "0")).join("");
      if (hex === keyHash && (await crypto.subtle.verify({ name: "Ed25519" }, key, sig.slice(4), new TextEncoder().encode(body)))) signed = true;
    }
    if (!signed) throw new Error("检查点签名无效 the checkpoint's signature does not verify");
    return { origin, size: Number(sizeText), root: b64(rootText) };
  }
  /** Whether the leaf hash at index, with the proof (standard base64 hashes), reaches root in a tree of size. */
  async function included(index, size, leaf, proof, root) {
    if (index >= size) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await sha(Uint8Array.of(1), p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else r = await sha(Uint8Array.of(1), r, p);
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    return sn === 0 && eq(r, root);
  }
  /** RFC 9162 leaf hash of an entry's stored JSON text. */
  const leafOf = (text) => sha(Uint8Array.of(0), new TextEncoder().encode(text));
  return { b64, verifyNote, included, leafOf };
})();
`;

export const PROOF_JS =
  LEDGER_LIB +
  String.raw`// One ledger entry's inclusion proof, checked against the signed checkpoint on the page.
(async () => {
  const el = document.getElementById("proof");
  const out = document.getElementById("proof-result");
  if (!el || !out) return;
  const show = (ok, text) => { out.className = ok ? "ok" : "bad"; out.textContent = text; };
  try {
    const index = Number(el.dataset.index);
    const { size, root } = await hurenLedger.verifyNote(el.dataset.checkpoint, el.dataset.key);
    const proof = el.dataset.proof ? el.dataset.proof.split(",").map(hurenLedger.b64) : [];
    if (!(await hurenLedger.included(index, size, hurenLedger.b64(el.dataset.leaf), proof, root))) throw new Error("包含性证明不成立 the inclusion proof does not reach the root");
    show(true, "已在浏览器中校验：条目 " + index + " 包含在大小为 " + size + " 的已签名检查点中。 Checked in your browser: entry " + index + " is in the signed checkpoint of size " + size + ".");
  } catch (err) {
    show(false, "校验失败 Check failed: " + (err && err.message ? err.message : err));
  }
})();
`;

/**
 * The ledger page's range check: every entry from..to (inclusive) is fetched as stored, hashed
 * here, and its inclusion proof checked against the signed checkpoint on the page, 100 at a time,
 * with a progress bar. Indexes must arrive in order with none missing, so the server cannot skip one.
 */
export const RANGE_JS =
  LEDGER_LIB +
  String.raw`(() => {
  const form = document.getElementById("verify-range");
  const el = document.getElementById("range");
  const out = document.getElementById("range-result");
  const bar = document.getElementById("range-progress");
  if (!form || !el || !out || !bar) return;
  const show = (cls, text) => { out.className = cls; out.textContent = text; };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const from = Number(form.elements.namedItem("from").value), to = Number(form.elements.namedItem("to").value);
      const { size, root } = await hurenLedger.verifyNote(el.dataset.checkpoint, el.dataset.key);
      if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && 0 <= from && from <= to)) throw new Error("范围无效 invalid range");
      if (to >= size) throw new Error("结束序号须小于检查点大小 " + size + " — the last index must be below the checkpoint's size " + size);
      if (to - from + 1 > 10000) throw new Error("每次最多校验 10000 条 at most 10000 entries at a time");
      const total = to - from + 1;
      bar.max = total; bar.value = 0;
      let next = from;
      while (next <= to) {
        const end = Math.min(to + 1, next + 100);
        const res = await fetch("/console/ledger/range.json?from=" + next + "&to=" + end + "&size=" + size, { credentials: "same-origin", headers: { accept: "application/json" } });
        if (!res.ok) throw new Error("服务器返回 server answered " + res.status);
        const { entries } = await res.json();
        for (const e of entries) {
          if (e.index !== next) throw new Error("缺少条目 missing entry " + next);
          const leaf = await hurenLedger.leafOf(e.entry);
          if (!(await hurenLedger.included(e.index, size, leaf, e.proof.map(hurenLedger.b64), root))) throw new Error("条目 " + e.index + " 不在已签名的账本中 entry " + e.index + " is not in the signed log");
          next++;
        }
        if (entries.length === 0) throw new Error("缺少条目 missing entry " + next);
        bar.value = next - from;
        show("", "已校验 " + (next - from) + " / " + total + " checked");
      }
      show("ok", "已在浏览器中校验：条目 " + from + "–" + to + "（共 " + total + " 条）均包含在大小为 " + size + " 的已签名检查点中。 Checked in your browser: entries " + from + "–" + to + " (" + total + ") are all in the signed checkpoint of size " + size + ".");
    } catch (err) {
      show("bad", "校验失败 Check failed: " + (err && err.message ? err.message : err));
    } finally {
      button.disabled = false;
    }
  });
})();
`;
