// `/docs`: renders `/openapi.json` as a page, with nothing fetched from the network.

function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// `code` spans for `backticks` in descriptions.
function prose(text) {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

function schemaText(schema, doc) {
  if (!schema) return '';
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop();
    return `<a href="#schema-${esc(name)}"><code>${esc(name)}</code></a>`;
  }
  if (schema.required) return `object with <code>${schema.required.map(esc).join('</code>, <code>')}</code>${schema.description ? ` — ${prose(schema.description)}` : ''}`;
  return `<code>${esc(schema.type || 'object')}</code>`;
}

function operationHtml(path, method, op, doc) {
  const keyed = (op.security || []).length > 0;
  const body = op.requestBody?.content;
  const ok = op.responses?.['200']?.content;
  const codes = Object.entries(op.responses || {}).map(([code, r]) => `<li><code>${esc(code)}</code> ${prose(r.description)}</li>`).join('');
  return `<article class="docs-op" id="op-${esc(op.operationId)}">
    <h3><span class="method method-${esc(method)}">${esc(method.toUpperCase())}</span> <code class="docs-path">${esc(path)}</code>
      <span class="tag ${keyed ? '' : 'ok'}">${keyed ? 'API key' : 'no key'}</span></h3>
    <p>${prose(op.summary)}</p>
    ${body ? Object.entries(body).map(([kind, c]) => `<p class="small"><strong>Body</strong> <code>${esc(kind)}</code>: ${schemaText(c.schema, doc)}</p>`).join('') : ''}
    ${ok ? Object.entries(ok).map(([kind, c]) => `<p class="small"><strong>Answer</strong> <code>${esc(kind)}</code>${c.schema?.$ref ? `: ${schemaText(c.schema, doc)}` : ''}</p>`).join('') : ''}
    <ul class="small docs-codes">${codes}</ul>
  </article>`;
}

function schemaHtml(name, schema) {
  const props = Object.entries(schema.properties || {}).map(([prop, s]) => {
    const type = s.$ref ? s.$ref.split('/').pop() : (Array.isArray(s.type) ? s.type.join(' | ') : s.type || (s.items ? 'array' : 'object'));
    return `<tr><td><code>${esc(prop)}</code></td><td class="mono small">${esc(type)}</td><td class="small">${prose(s.description || '')}</td></tr>`;
  }).join('');
  return `<article class="docs-schema" id="schema-${esc(name)}"><h3><code>${esc(name)}</code></h3>
    ${schema.description ? `<p class="small">${prose(schema.description)}</p>` : ''}
    ${props ? `<table class="table"><tbody>${props}</tbody></table>` : `<p class="small muted">${esc(schema.type || '')}</p>`}</article>`;
}

async function main() {
  const body = document.querySelector('#docs-body');
  try {
    const doc = await (await fetch('/openapi.json')).json();
    document.querySelector('#docs-title').textContent = `${doc.info.title} ${doc.info.version} API`;
    document.querySelector('#docs-desc').innerHTML = prose(doc.info.description);
    const byTag = new Map((doc.tags || []).map((t) => [t.name, []]));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const tag = op.tags?.[0] || 'other';
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push(operationHtml(path, method, op, doc));
      }
    }
    const sections = [...byTag].filter(([, ops]) => ops.length).map(([tag, ops]) => `<section class="card"><h2 class="card-title">${esc(tag)}</h2>${ops.join('')}</section>`);
    const schemas = Object.entries(doc.components?.schemas || {}).map(([name, s]) => schemaHtml(name, s)).join('');
    body.innerHTML = sections.join('') + `<section class="card"><h2 class="card-title">Schemas</h2>${schemas}</section>`;
  } catch (err) {
    body.innerHTML = `<p class="tone-error">Could not read /openapi.json: ${esc(err.message)}</p>`;
  }
}

main();
