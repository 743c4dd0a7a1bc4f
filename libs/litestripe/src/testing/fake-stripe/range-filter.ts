import { parameterInvalid } from './api-error.js';
import type { FormValue } from './form-body.parser.js';
import { isFormParams, optionalInteger } from './request-params.js';

/** A parsed `created=…` or `created[gte]=…` filter. */
export interface RangeFilter {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export function readRangeFilter(value: FormValue | undefined, param: string): RangeFilter | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string') {
    if (!/^\d+$/.test(value)) throw parameterInvalid(param, `Invalid integer: ${value}`, 'parameter_invalid_integer');
    return { gte: Number(value), lte: Number(value) };
  }
  if (!isFormParams(value)) throw parameterInvalid(param, `Invalid ${param}: expected an integer or a range`);
  return {
    gt: optionalInteger(value, 'gt', param),
    gte: optionalInteger(value, 'gte', param),
    lt: optionalInteger(value, 'lt', param),
    lte: optionalInteger(value, 'lte', param),
  };
}

export function inRange(value: number, range: RangeFilter | undefined): boolean {
  if (!range) return true;
  if (range.gt !== undefined && !(value > range.gt)) return false;
  if (range.gte !== undefined && !(value >= range.gte)) return false;
  if (range.lt !== undefined && !(value < range.lt)) return false;
  if (range.lte !== undefined && !(value <= range.lte)) return false;
  return true;
}
