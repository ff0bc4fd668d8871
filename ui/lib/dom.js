// Small DOM helpers every view uses: escaping, icons, toasts, copy buttons, durations.

export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

export function icon(path, cls = 'icon') {
  return `<svg class="${cls}" viewBox="0 0 24 24" aria-hidden="true"><path d="${path}"/></svg>`;
}

export const ICONS = {
  copy: 'M9 9h10v10H9zM5 15V5h10',
  check: 'M5 12.5l4.5 4.5L19 7',
  eye: 'M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12zM12 9a3 3 0 100 6 3 3 0 000-6z',
  eyeOff: 'M3 3l18 18M10.6 5.1A10.6 10.6 0 0112 5c6.4 0 10 7 10 7a17 17 0 01-3.2 4.1M6.6 6.6C3.9 8.4 2 12 2 12s3.6 7 10 7a9.7 9.7 0 005.4-1.6M9.9 9.9a3 3 0 004.2 4.2',
  refresh: 'M20 11a8 8 0 10-2.3 5.7M20 4v7h-7',
  send: 'M4 12l16-8-6 16-2.5-6.5L4 12z',
  stop: 'M7 7h10v10H7z',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  pause: 'M8 5v14M16 5v14',
  play: 'M7 5l12 7-12 7V5z',
  folder: 'M3 6h6l2 2h10v11H3z',
  warn: 'M12 3l10 18H2L12 3zM12 10v5M12 18v.01',
  external: 'M14 4h6v6M20 4l-9 9M18 14v6H4V6h6',
};

let toastSeq = 0;
export function toast(message, kind = 'info') {
  const host = document.getElementById('toasts');
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.textContent = message;
  el.dataset.seq = String(++toastSeq);
  host.append(el);
  setTimeout(() => el.classList.add('leaving'), 2600);
  setTimeout(() => el.remove(), 3000);
}

export async function copyText(text, label = 'Copied') {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  toast(`${label} copied to the clipboard`, 'success');
}

/** `<button data-copy="…">` anywhere inside `root` copies its value. */
export function wireCopyButtons(root) {
  root.addEventListener('click', (event) => {
    const button = event.target.closest('[data-copy]');
    if (!button || !root.contains(button)) return;
    copyText(button.dataset.copy, button.dataset.copyLabel || 'Text');
    button.classList.add('copied');
    setTimeout(() => button.classList.remove('copied'), 1200);
  });
}

export function copyButton(value, label, text = '') {
  return `<button class="btn icon-btn copy-btn${text ? ' with-text' : ''}" type="button" data-copy="${esc(value)}" data-copy-label="${esc(label)}" title="Copy ${esc(label)}">${icon(ICONS.copy)}${icon(ICONS.check, 'icon done')}${text ? `<span>${esc(text)}</span>` : ''}</button>`;
}

export function formatDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return '—';
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
