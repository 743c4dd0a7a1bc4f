export interface PageRequest {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/**
 * One resource type's objects in creation order. Lists are newest first like Stripe's,
 * and cursors are positions, so paging through thousands of objects stays linear.
 */
export class Collection<T extends { id: string }> {
  private slots: (T | undefined)[] = [];
  private readonly positions = new Map<string, number>();

  /** The name Stripe uses in "No such {kind}" errors. */
  constructor(readonly kind: string) {}

  get size(): number {
    return this.positions.size;
  }

  add(item: T): T {
    if (this.positions.has(item.id)) throw new Error(`Duplicate ${this.kind} id ${item.id}`);
    this.positions.set(item.id, this.slots.length);
    this.slots.push(item);
    return item;
  }

  get(id: string): T | undefined {
    const position = this.positions.get(id);
    return position === undefined ? undefined : this.slots[position];
  }

  has(id: string): boolean {
    return this.positions.has(id);
  }

  /** Replaces a stored object, keeping its place in the order. */
  replace(item: T): T {
    const position = this.positions.get(item.id);
    if (position === undefined) throw new Error(`Unknown ${this.kind} id ${item.id}`);
    this.slots[position] = item;
    return item;
  }

  remove(id: string): T | undefined {
    const position = this.positions.get(id);
    if (position === undefined) return undefined;
    const item = this.slots[position];
    this.slots[position] = undefined;
    this.positions.delete(id);
    return item;
  }

  /** Oldest first. */
  values(): T[] {
    return this.slots.filter((item): item is T => item !== undefined);
  }

  find(predicate: (item: T) => boolean): T | undefined {
    for (let i = this.slots.length - 1; i >= 0; i--) {
      const item = this.slots[i];
      if (item !== undefined && predicate(item)) return item;
    }
    return undefined;
  }

  /** `null` when a cursor names an object this collection never held (or no longer holds). */
  page(matches: (item: T) => boolean, request: PageRequest): Page<T> | null {
    if (request.endingBefore !== undefined) return this.pageBefore(matches, request.endingBefore, request.limit);
    let from = this.slots.length - 1;
    if (request.startingAfter !== undefined) {
      const cursor = this.positions.get(request.startingAfter);
      if (cursor === undefined) return null;
      from = cursor - 1;
    }
    const data: T[] = [];
    for (let i = from; i >= 0; i--) {
      const item = this.slots[i];
      if (item === undefined || !matches(item)) continue;
      if (data.length === request.limit) return { data, hasMore: true };
      data.push(item);
    }
    return { data, hasMore: false };
  }

  clear(): void {
    this.slots = [];
    this.positions.clear();
  }

  /** The `limit` objects just newer than the cursor, still newest first. */
  private pageBefore(matches: (item: T) => boolean, endingBefore: string, limit: number): Page<T> | null {
    const cursor = this.positions.get(endingBefore);
    if (cursor === undefined) return null;
    const newer: T[] = [];
    for (let i = cursor + 1; i < this.slots.length; i++) {
      const item = this.slots[i];
      if (item === undefined || !matches(item)) continue;
      if (newer.length === limit) return { data: newer.reverse(), hasMore: true };
      newer.push(item);
    }
    return { data: newer.reverse(), hasMore: false };
  }
}
