// Debug dumps and upstream drift inside the Logs view: the dump-mode switch, a "Dump" button
// on request rows that have one, the dump viewer (five files, Replay, debug bundle) and the
// drift banner ("Kiro sent something this version does not know").

import { esc, icon, ICONS, copyText } from '../lib/dom.js';

const KIND_LABELS = {
  event_type: 'event type',
  event_field: 'event field',
  stop_reason: 'stop reason',
  message_type: 'message type',
  exception_type: 'stream exception',
  error_type: 'error type',
  error_reason: 'error reason',
  error_field: 'error field',
  catalog_model: 'model without rules',
};

const MODE_HELP = {
  off: 'Debug dumps are off.',
  errors: 'Each failed request leaves a dump (prompts included, secrets redacted).',
  all: 'Every model request leaves a dump (prompts included, secrets redacted).',
};

/** The mode switch for the toolbar. */
export function modeSelect() {
  return `<label class="dump-mode" title="Debug dumps: which requests keep their full exchange with Kiro">
    <span class="muted small">Dumps</span>
    <select class="input select" id="dump-mode">
      <option value="off">Off</option><option value="errors">Errors</option><option value="all">All</option>
    </select></label>`;
}

/** The drift banner, or '' when nothing unknown was seen. */
export function driftBanner(drift) {
  const findings = drift?.findings || [];
  if (!findings.length) return '';
  const names = findings.slice(0, 4).map((f) => `<code>${esc(f.name)}</code> <span class="muted">(${esc(KIND_LABELS[f.kind] || f.kind)}${f.context ? ` in ${esc(f.context)}` : ''}, ${f.count}×)</span>`).join(', ');
  const more = findings.length > 4 ? `, and ${findings.length - 4} more` : '';
  return `<div class="banner warn" role="status" id="drift-banner">${icon(ICONS.warn)}
    <div class="banner-body"><strong>Kiro sent something this version does not know: ${names}${more}.</strong>
    <p>The gateway ignored it and went on. A newer version may know it; the report helps if you open an issue.</p></div>
    <div class="banner-actions"><button class="btn" type="button" id="drift-copy">${icon(ICONS.copy)}<span>Copy report</span></button></div></div>`;
}

/** The dump viewer for `dump` ({id, files}). */
export function viewer(dump, active) {
  const files = dump.files || [];
  const current = files.find((f) => f.name === active) || files[0];
  return `<div class="card dump-viewer" id="dump-viewer" data-dump="${esc(dump.id)}">
    <div class="dump-head">
      <div class="card-title">Debug dump <code class="mono">${esc(dump.id)}</code></div>
      <span class="spacer"></span>
      <button class="btn" type="button" id="dump-replay" title="Send the same request again through the gateway, under a new request id">${icon(ICONS.refresh)}<span>Replay</span></button>
      <button class="btn" type="button" id="dump-bundle" title="One zip with these files and the drift report, redacted">${icon(ICONS.folder)}<span>Debug bundle</span></button>
      <button class="btn icon-btn" type="button" id="dump-close" title="Close">×</button>
    </div>
    <div class="seg dump-files" role="tablist">${files.map((f) => `<button type="button" class="seg-btn${f === current ? ' active' : ''}" data-dump-file="${esc(f.name)}">${esc(f.name)}</button>`).join('')}</div>
    <pre class="dump-text mono">${current ? esc(current.text || '(empty)') : ''}${current?.cut ? '\n… (cut here; the bundle has the whole file)' : ''}</pre>
  </div>`;
}

/** Wire the pieces above inside `root`; `ctx` gives api and toast; `onReplayed(id)` shows the new request. */
export function wire(root, ctx, onReplayed) {
  let open = null;
  let activeFile = null;
  const host = root.querySelector('#dump-host');

  async function show(id, file) {
    try {
      open = await ctx.api.dump(id);
      activeFile = file || activeFile;
      host.innerHTML = viewer(open, activeFile);
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  }

  // On the parts each mount makes anew (the view's own element outlives a mount).
  const onClick = async (e) => {
    const openBtn = e.target.closest('[data-dump-open]');
    if (openBtn) return show(openBtn.dataset.dumpOpen, null);
    const fileBtn = e.target.closest('[data-dump-file]');
    if (fileBtn && open) {
      activeFile = fileBtn.dataset.dumpFile;
      host.innerHTML = viewer(open, activeFile);
      return;
    }
    if (e.target.closest('#dump-close')) {
      open = null;
      host.innerHTML = '';
      return;
    }
    if (e.target.closest('#dump-replay') && open) {
      try {
        const replay = await ctx.api.replayDump(open.id);
        ctx.toast(`Replayed as ${replay.request_id} (status ${replay.status})`, replay.status >= 400 ? 'error' : 'info');
        onReplayed(replay.request_id);
      } catch (err) {
        ctx.toast(err.message, 'error');
      }
      return;
    }
    if (e.target.closest('#dump-bundle') && open) {
      try {
        ctx.toast(await ctx.api.saveDumpBundle(open.id));
      } catch (err) {
        ctx.toast(err.message, 'error');
      }
      return;
    }
    if (e.target.closest('#drift-copy')) {
      try {
        const drift = await ctx.api.drift();
        await copyText(drift.report, 'Drift report');
      } catch (err) {
        ctx.toast(err.message, 'error');
      }
    }
  };
  for (const part of ['#drift-host', '#dump-host', '#pane-requests']) {
    root.querySelector(part).addEventListener('click', onClick);
  }

  root.querySelector('#dump-mode').addEventListener('change', async (e) => {
    const mode = e.target.value;
    try {
      await ctx.api.setDumpMode(mode);
      ctx.toast(MODE_HELP[mode]);
    } catch (err) {
      ctx.toast(err.message, 'error');
    }
  });
}
