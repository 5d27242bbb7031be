/** Minutes in words people read: "2 h 30 min", "45 min", "0 min". Signs are the caller's. */
export function duration(minutes: number): string {
  const whole = Math.abs(minutes);
  const hours = Math.floor(whole / 60);
  const rest = whole % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** A signed amount for statements: "+1 h" earned, "−30 min" spent. */
export function signed(minutes: number): string {
  if (minutes === 0) return '0 min';
  return `${minutes > 0 ? '+' : '−'}${duration(minutes)}`;
}

export function date(iso: string | null): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function percent(value: number | null): string {
  return value === null ? 'n/a' : `${Math.round(value * 1000) / 10}%`;
}

export function newKey(): string {
  return crypto.randomUUID();
}
