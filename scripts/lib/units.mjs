// Amounts: MOS and planck (10^-12 MOS), as the chain counts them.

export const MOS = 10n ** 12n;

export const fmt = (planck) => `${planck / MOS}.${(planck % MOS).toString().padStart(12, '0')} MOS`;

/** Parses an amount: planck (an integer) or MOS with its unit ("0.5MOS"); throws otherwise. */
export function parseAmount(s) {
  const text = String(s).trim();
  const m = /^(\d+)(?:\.(\d{1,12}))?\s*MOS$/i.exec(text);
  if (m) return BigInt(m[1]) * MOS + BigInt((m[2] ?? '').padEnd(12, '0'));
  if (/^\d+$/.test(text)) return BigInt(text);
  throw new Error(`not an amount: ${JSON.stringify(s)} (planck, or e.g. "0.5MOS")`);
}
