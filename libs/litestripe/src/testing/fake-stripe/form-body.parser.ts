/** A value decoded from Stripe's bracket-notation form encoding. Leaves are always strings. */
export type FormValue = string | FormValue[] | FormParams;

export interface FormParams {
  [key: string]: FormValue;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const NUMERIC = /^\d+$/;

/**
 * Decodes `a[b][0][c]=x&list[]=y` into nested objects and arrays, the way Stripe's API reads
 * stripe-node's request bodies and query strings. Objects whose keys are all indices become arrays.
 */
export function parseFormBody(encoded: string): FormParams {
  const root: FormParams = {};
  if (!encoded) return root;
  for (const [rawKey, value] of new URLSearchParams(encoded)) {
    const path = splitKey(rawKey);
    if (path.length === 0 || path.some((segment) => FORBIDDEN_KEYS.has(segment))) continue;
    assign(root, path, value);
  }
  return arraysFromIndexedObjects(root) as FormParams;
}

/** Merges several decoded sources; later sources win on conflicting keys. */
export function mergeFormParams(...sources: FormParams[]): FormParams {
  return Object.assign({}, ...sources) as FormParams;
}

function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return open === 0 ? [] : [key];
  const path = [key.slice(0, open)];
  const segments = /\[([^\]]*)\]/g;
  let match: RegExpExecArray | null;
  while ((match = segments.exec(key.slice(open))) !== null) path.push(match[1]);
  return path;
}

function assign(root: FormParams, path: string[], value: string): void {
  let node: FormParams = root;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i] === '' ? String(nextIndex(node)) : path[i];
    const child = node[segment];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) node[segment] = {};
    node = node[segment] as FormParams;
  }
  const last = path[path.length - 1];
  node[last === '' ? String(nextIndex(node)) : last] = value;
}

function nextIndex(node: FormParams): number {
  return Object.keys(node).filter((key) => NUMERIC.test(key)).length;
}

function arraysFromIndexedObjects(value: FormValue): FormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(arraysFromIndexedObjects);
  const keys = Object.keys(value);
  for (const key of keys) value[key] = arraysFromIndexedObjects(value[key]);
  if (keys.length > 0 && keys.every((key) => NUMERIC.test(key))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((key) => value[key]);
  }
  return value;
}
