// The numbers JSON and naive codecs get wrong (-0 above all: msgpack writes it as the integer 0), for the tests
// that send them through every path between a master and its workers. JSON cannot carry them back to the test
// either, so fixtures report them as text.
import { z } from 'zod';

/** In the order the fixtures send them. */
export const SPECIAL_NUMBERS: readonly number[] = [
  -0,
  0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  -1.5,
];

/** `SPECIAL_NUMBERS` as `showNumber` writes them: what each path must deliver. */
export const SPECIAL_NUMBERS_SHOWN: readonly string[] = ['-0', '0', 'NaN', 'Infinity', '-Infinity', '-1.5'];

/** A number as text that tells -0 from 0 (String(-0) is "0"). */
export function showNumber(value: unknown): string {
  if (typeof value !== 'number') return `not a number: ${typeof value} ${String(value)}`;
  return Object.is(value, -0) ? '-0' : String(value);
}

/** Any number, NaN and ±Infinity included (zod's z.number() refuses them). */
export const anyNumber = z.custom<number>((value) => typeof value === 'number', 'expected a number');
