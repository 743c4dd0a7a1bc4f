import type { Collection } from './collection.js';

/** Read access for tests. Objects are copies: change state through the API or the fake's helpers. */
export interface ResourceView<T> {
  get(id: string): T | undefined;
  /** Oldest first. */
  all(): T[];
  /** The newest match. */
  find(predicate: (item: T) => boolean): T | undefined;
  /** Oldest first. */
  filter(predicate: (item: T) => boolean): T[];
  readonly count: number;
}

export function viewOf<T extends { id: string }>(collection: Collection<T>): ResourceView<T> {
  const copy = <V>(value: V): V => (value === undefined ? value : structuredClone(value));
  return {
    get: (id) => copy(collection.get(id)),
    all: () => collection.values().map((item) => structuredClone(item)),
    find: (predicate) => copy(collection.find(predicate)),
    filter: (predicate) => collection.values().filter(predicate).map((item) => structuredClone(item)),
    get count() {
      return collection.size;
    },
  };
}
