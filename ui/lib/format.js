// Number formats shared by the views (a leaf: imports nothing).

/** Credits with at most two decimals, trailing zeros dropped: 12.5, 0.37, 3. */
export function formatCredits(n) {
  return String(Math.round((Number(n) || 0) * 100) / 100);
}
