import { resourceMissing } from '../api-error.js';
import type { Collection } from '../collection.js';

/** The stored object, or Stripe's 404 naming the param that carried the id. */
export function mustGet<T extends { id: string }>(collection: Collection<T>, id: string, param = 'id'): T {
  const item = collection.get(id);
  if (!item) throw resourceMissing(collection.kind, id, param);
  return item;
}
