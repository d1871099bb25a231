/**
 * The shortest decimal that reads back as the same float32: what MySQL shows for a FLOAT column.
 * 19.99 is stored as 19.9899997711181640625; printed through a double it looks like 19.989999771118164.
 */
export function shortestFloat32(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const target = Math.fround(value);
  // Fast path for prices: below 2^17 a float32's spacing is under a cent, so distinct cent values are distinct
  // float32s; when the nearest cent value reads back as this float32, no shorter decimal can.
  if (target > -131_072 && target < 131_072) {
    const cents = Math.round(target * 100) / 100;
    if (Math.fround(cents) === target) return cents;
  }
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return target;
}

/** Rounds half away from zero to cents, immune to binary artefacts such as 1.005 * 100 = 100.49999999999999. */
export function roundCents(value: number): number {
  const cents = Number((value * 100).toPrecision(15));
  return (Math.sign(cents) * Math.round(Math.abs(cents))) / 100;
}
