import { invalidRequest, resourceMissing } from './api-error.js';
import type { Collection, PageRequest } from './collection.js';
import type { FormParams } from './form-body.parser.js';
import { optionalInteger, optionalString } from './request-params.js';

/** Stripe's list envelope. */
export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export function readPageRequest(params: FormParams): PageRequest {
  const limit = optionalInteger(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('This value must be greater than or equal to 1 and less than or equal to 100.', 'limit');
  const startingAfter = optionalString(params, 'starting_after') || undefined;
  const endingBefore = optionalString(params, 'ending_before') || undefined;
  if (startingAfter && endingBefore) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', 'ending_before');
  }
  return { limit, startingAfter, endingBefore };
}

export function listEnvelope<T>(url: string, data: T[], hasMore = false): ListObject<T> {
  return { object: 'list', data, has_more: hasMore, url };
}

/** Pages a collection with the request's `limit`/`starting_after`/`ending_before`. */
export function listCollection<T extends { id: string }>(
  collection: Collection<T>,
  params: FormParams,
  url: string,
  matches: (item: T) => boolean = () => true,
): ListObject<T> {
  const request = readPageRequest(params);
  const page = collection.page(matches, request);
  if (page === null) {
    const cursorParam = request.startingAfter !== undefined ? 'starting_after' : 'ending_before';
    throw resourceMissing(collection.kind, (request.startingAfter ?? request.endingBefore) as string, cursorParam);
  }
  return listEnvelope(url, page.data, page.hasMore);
}
