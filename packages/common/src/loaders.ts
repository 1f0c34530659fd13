/**
 * Returns rows in key order, null where a key has no row: what a DataLoader batch function
 * must answer. `keyOf` picks the key of a row (its id unless said otherwise).
 */
export function inKeyOrder<Row>(
  keys: readonly string[],
  rows: readonly Row[],
  keyOf: (row: Row) => string = (row) => (row as { id: string }).id,
): (Row | null)[] {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? null);
}
