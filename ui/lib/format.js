// Small formatters shared by the views: numbers, dates, links (a leaf: imports nothing).

/** Credits with at most two decimals, trailing zeros dropped: 12.5, 0.37, 3. */
export function formatCredits(n) {
  return String(Math.round((Number(n) || 0) * 100) / 100);
}

function parseTime(iso) {
  const time = iso ? new Date(iso) : null;
  return time && !Number.isNaN(time.getTime()) ? time : null;
}

/** A day in the user's locale ("Dec 1, 2026"), '' for no or an unreadable date. */
export function formatDay(iso) {
  return parseTime(iso)?.toLocaleDateString([], { dateStyle: 'medium' }) ?? '';
}

/** A day and time in the user's locale ("Dec 1, 2026, 10:00 AM"), '' for no or an unreadable date. */
export function formatMoment(iso) {
  return parseTime(iso)?.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' }) ?? '';
}

/** `url` when it is an http(s) address (safe as a link's href), otherwise null. */
export function httpUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}
