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
.bar{fill:var(--brand)}
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
@page{size:A4;margin:18mm 15mm}
@media print{.top,.no-print{display:none}body{background:#fff;font-size:11pt}main{max-width:none;padding:0}table.entries{font-size:10pt}a{color:inherit;text-decoration:none}}
`;

export const PROOF_JS = String.raw`// Checks a ledger entry's inclusion proof in the browser (WebCrypto), against the checkpoint's
// Ed25519 signature by the ledger key (C2SP signed-note, RFC 9162 §2.1.3.2). The server only
// supplies data; a tampered page cannot make a wrong proof pass.
(async () => {
  const el = document.getElementById("proof");
  const out = document.getElementById("proof-result");
  if (!el || !out) return;
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const sha = async (...parts) => {
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { all.set(p, at); at += p.length; }
    return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  };
  const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const show = (ok, text) => { out.className = ok ? "ok" : "bad"; out.textContent = text; };
  try {
    const note = el.dataset.checkpoint;
    const split = note.indexOf("\n\n");
    const body = note.slice(0, split + 1);
    const [origin, sizeText, rootText] = body.split("\n");
    const size = Number(sizeText), index = Number(el.dataset.index), root = b64(rootText);
    const vkey = el.dataset.key.trim();
    const i = vkey.indexOf("+"), j = vkey.indexOf("+", i + 1);
    const keyName = vkey.slice(0, i), keyHash = vkey.slice(i + 1, j), keyB64 = vkey.slice(j + 1);
    const keyBytes = b64(keyB64);
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
    let fn = index, sn = size - 1, r = b64(el.dataset.leaf);
    const proof = el.dataset.proof ? el.dataset.proof.split(",").map(b64) : [];
    for (const p of proof) {
      if (sn === 0) throw new Error("证明过长 proof too long");
      if (fn % 2 === 1 || fn === sn) {
        r = await sha(Uint8Array.of(1), p, r);
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else r = await sha(Uint8Array.of(1), r, p);
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0 || !eq(r, root)) throw new Error("包含性证明不成立 the inclusion proof does not reach the root");
    show(true, "已在浏览器中校验：条目 " + index + " 包含在大小为 " + size + " 的已签名检查点中。 Checked in your browser: entry " + index + " is in the signed checkpoint of size " + size + ".");
  } catch (err) {
    show(false, "校验失败 Check failed: " + (err && err.message ? err.message : err));
  }
})();
`;
