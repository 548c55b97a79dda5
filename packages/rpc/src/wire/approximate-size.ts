const SCALAR_BYTES = 16;
const MAX_DEPTH = 8;

/**
 * A cheap estimate of a value's encoded size in bytes, so that batches of items (strings, byte arrays, or plain
 * objects, arrays and maps holding them) stay near a byte budget and far below the message limit.
 * The walk stops once the estimate reaches `limit`, so measuring a huge value costs no more than a batch's worth of
 * visiting; scalars and anything deeper than a few levels count as 16 bytes.
 */
export function approximateSize(value: unknown, limit: number): number {
  return measure(value, limit, 0);
}

function measure(value: unknown, limit: number, depth: number): number {
  if (typeof value === 'string') return value.length;
  if (typeof value !== 'object' || value === null) return SCALAR_BYTES;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (depth >= MAX_DEPTH) return SCALAR_BYTES;
  let total = SCALAR_BYTES;
  const add = (entry: unknown): boolean => {
    total += measure(entry, limit - total, depth + 1);
    return total >= limit;
  };
  if (Array.isArray(value) || value instanceof Set) {
    for (const entry of value) if (add(entry)) break;
  } else if (value instanceof Map) {
    for (const [key, entry] of value) if (add(key) || add(entry)) break;
  } else {
    // Keys count too: in a record such as a word count, they are most of the data.
    for (const key of Object.keys(value)) if (add(key) || add((value as Record<string, unknown>)[key])) break;
  }
  return total;
}
