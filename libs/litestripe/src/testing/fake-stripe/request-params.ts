import { invalidRequest, parameterInvalid, parameterMissing } from './api-error.js';
import type { FormParams, FormValue } from './form-body.parser.js';

/** Stripe names nested params `parent[child]`; readers take the parent prefix to name them right in errors. */
export function paramName(key: string, prefix?: string): string {
  return prefix ? `${prefix}[${key}]` : key;
}

export function isFormParams(value: FormValue | undefined): value is FormParams {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function optionalString(params: FormParams, key: string, prefix?: string): string | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw parameterInvalid(paramName(key, prefix), `Invalid string: ${JSON.stringify(value)}`);
  return value;
}

export function requiredString(params: FormParams, key: string, prefix?: string): string {
  const value = optionalString(params, key, prefix);
  if (value === undefined || value === '') throw parameterMissing(paramName(key, prefix));
  return value;
}

export function optionalInteger(params: FormParams, key: string, prefix?: string): number | undefined {
  const value = optionalString(params, key, prefix);
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+$/.test(value)) {
    throw parameterInvalid(paramName(key, prefix), `Invalid integer: ${value}`, 'parameter_invalid_integer');
  }
  return Number(value);
}

export function optionalBoolean(params: FormParams, key: string, prefix?: string): boolean | undefined {
  const value = optionalString(params, key, prefix);
  if (value === undefined || value === '') return undefined;
  if (value !== 'true' && value !== 'false') throw parameterInvalid(paramName(key, prefix), `Invalid boolean: ${value}`);
  return value === 'true';
}

export function optionalEnum<T extends string>(params: FormParams, key: string, allowed: readonly T[], prefix?: string): T | undefined {
  const value = optionalString(params, key, prefix);
  if (value === undefined || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw parameterInvalid(paramName(key, prefix), `Invalid ${paramName(key, prefix)}: must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** `undefined` when absent, `null` when sent as an empty string (Stripe's "unset"). */
export function optionalObject(params: FormParams, key: string, prefix?: string): FormParams | null | undefined {
  const value = params[key];
  if (value === undefined) return undefined;
  if (value === '') return null;
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]));
  if (!isFormParams(value)) throw invalidRequest(`Invalid object: ${paramName(key, prefix)}`, paramName(key, prefix));
  return value;
}

export function optionalArray(params: FormParams, key: string, prefix?: string): FormValue[] | undefined {
  const value = params[key];
  if (value === undefined || value === '') return undefined;
  if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${paramName(key, prefix)}`, paramName(key, prefix));
  return value;
}

export function stringArray(params: FormParams, key: string, prefix?: string): string[] | undefined {
  const values = optionalArray(params, key, prefix);
  if (values === undefined) return undefined;
  return values.map((value, index) => {
    if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${paramName(key, prefix)}[${index}]`);
    return value;
  });
}

export function expandPaths(params: FormParams): string[] {
  return stringArray(params, 'expand') ?? [];
}

/** Applies Stripe's metadata semantics: `metadata=` clears all, `metadata[key]=` removes one key. */
export function applyMetadata(current: Record<string, string>, params: FormParams, key = 'metadata', prefix?: string): Record<string, string> {
  const patch = optionalObject(params, key, prefix);
  if (patch === undefined) return current;
  if (patch === null) return {};
  const next = { ...current };
  for (const [name, value] of Object.entries(patch)) {
    if (typeof value !== 'string') throw invalidRequest(`Invalid metadata value for key '${name}'`, `${paramName(key, prefix)}[${name}]`);
    if (value === '') delete next[name];
    else next[name] = value;
  }
  return next;
}
