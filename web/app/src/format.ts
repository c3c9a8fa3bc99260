// Amounts are in the currency's minor unit (cents, pence); dates are ISO 8601.

export function money(minorUnits: number, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minorUnits / 100);
}

export function dateTime(iso: string): string {
  return (
    new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }).format(
      new Date(iso),
    ) + " UTC"
  );
}

export function count(value: number): string {
  return new Intl.NumberFormat().format(value);
}
