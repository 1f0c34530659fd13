import { z } from 'zod';
import { badUserInput } from './errors.js';

/** Every entity id is a UUID; anything else is malformed input, not a miss. */
export const idSchema = z.uuid({ message: 'must be a valid id' });

export function parseId(value: string, field = 'id'): string {
  if (!idSchema.safeParse(value).success) throw badUserInput(`${field} is not a valid id.`, { field });
  return value.toLowerCase();
}
