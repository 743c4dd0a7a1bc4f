/** The pages' style and script, served by the module (no build step; works under a `script-src 'self'` policy). */
export const ADMIN_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
header{display:flex;gap:2em;align-items:center;padding:.6em 1.2em;background:#24292f;color:#fff}
header nav a{color:#d0d7de;margin-right:1.2em;text-decoration:none}header nav a:hover{color:#fff}
main{padding:1em 1.2em}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
td.id{overflow-wrap:anywhere}
th{background:#f0f2f4}tr.failed td{background:#fff1f0}.ok{color:#1a7f37;font-weight:600}.no{color:#cf222e;font-weight:600}
.error,.error-text{color:#cf222e}.card{display:grid;grid-template-columns:8em auto;background:#fff;border:1px solid #d0d7de;padding:.6em;max-width:40em}
.card dt{font-weight:600}.card dd{margin:0}form.action{display:flex;gap:.4em;align-items:center;margin:.2em 0}
output{font-size:.9em}output.done{color:#1a7f37}output.refused{color:#cf222e}.tabs a.current{font-weight:700}
.search input{width:24em}input,button{font:inherit;padding:.2em .5em}`;

export const ADMIN_JS = `'use strict';
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.post) return;
  event.preventDefault();
  const meta = (name) => document.querySelector('meta[name="' + name + '"]').content;
  const output = form.querySelector('output');
  const button = form.querySelector('button');
  const body = Object.fromEntries(new FormData(form));
  button.disabled = true;
  output.className = '';
  output.textContent = '…';
  try {
    const response = await fetch(meta('litestripe-admin-base') + '/' + form.dataset.post, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': meta('csrf-token') },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    output.className = response.ok ? 'done' : 'refused';
    output.textContent = response.ok ? 'Done: ' + JSON.stringify(answer) : (answer.message || response.statusText);
  } catch (error) {
    output.className = 'refused';
    output.textContent = String(error);
  } finally {
    button.disabled = false;
  }
});
`;
