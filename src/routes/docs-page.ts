/**
 * The API reference at /docs: Swagger UI served by the gateway — schemas, examples and "Try it out"
 * (public routes at once; signed routes with a §2 bearer token pasted under "Authorize"). */
export const SWAGGER_PAGE = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Huren API 互认网关接口</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

export const SWAGGER_INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  defaultModelsExpandDepth: 0, displayRequestDuration: true, tryItOutEnabled: false });`;

/**
 * The fallback when Swagger UI is not installed (the Worker): a self-contained API reference page rendered from /openapi.json. Gateways run inside
 * government networks without internet access, so no CDN-hosted viewer: plain HTML and a
 * small script.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Huren API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
header{background:#12355b;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:980px;margin:0 auto;padding:16px 24px}
.op{background:#fff;border:1px solid #dde2ea;border-radius:6px;margin:10px 0}
.op summary{cursor:pointer;padding:10px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px monospace;padding:2px 6px;border-radius:3px;color:#fff;min-width:44px;text-align:center}
.get{background:#2b7a4b}.post{background:#1f5fa8}.put{background:#9a6a00}.delete{background:#a33}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f1f3f6;padding:8px;overflow:auto;border-radius:4px}
.body{padding:0 12px 12px}.tag{margin-top:24px;font-size:13px;text-transform:uppercase;color:#5b6577}
</style></head><body>
<header><h1>Huren gateway API</h1><div id="desc"></div></header>
<main><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Signed routes need <code>Authorization: Bearer &lt;JWS&gt;</code> (PROTOCOL §2).</p><div id="ops">Loading…</div></main>
<script>
fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  document.getElementById('desc').textContent=doc.info.description||'';
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths)) for(const [method,op] of Object.entries(item)){
    const tag=(op.tags&&op.tags[0])||'other';(byTag[tag]=byTag[tag]||[]).push({path,method,op});
  }
  const root=document.getElementById('ops');root.textContent='';
  for(const [tag,ops] of Object.entries(byTag)){
    const h=document.createElement('div');h.className='tag';h.textContent=tag;root.append(h);
    for(const {path,method,op} of ops){
      const d=document.createElement('details');d.className='op';
      const s=document.createElement('summary');
      const m=document.createElement('span');m.className='m '+method;m.textContent=method.toUpperCase();
      const p=document.createElement('code');p.textContent=path;
      const t=document.createElement('span');t.textContent=op.summary||'';
      s.append(m,p,t);d.append(s);
      const b=document.createElement('div');b.className='body';
      if(op.description){const x=document.createElement('p');x.textContent=op.description;b.append(x);}
      const req=op.requestBody&&op.requestBody.content&&op.requestBody.content['application/json'];
      if(req){const x=document.createElement('pre');x.textContent='Request body\\n'+JSON.stringify(req.schema,null,2);b.append(x);}
      const codes=Object.entries(op.responses||{}).map(([k,v])=>k+' '+(v.description||'')).join('\\n');
      const r=document.createElement('pre');r.textContent='Responses\\n'+codes;b.append(r);
      d.append(b);root.append(d);
    }
  }
}).catch(e=>{document.getElementById('ops').textContent='Could not load /openapi.json: '+e});
</script></body></html>`;
