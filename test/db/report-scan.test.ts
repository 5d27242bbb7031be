import { describe, expect, it } from 'vitest';
import { integers } from '../../src/db/queries/reports.js';

// The report scan's packed numbers: what PostgreSQL writes with string_agg, read back exactly.
describe('integers', () => {
  it('reads comma-separated integers, negative ones and large ones included', () => {
    const values = [0, 7, -3, 42, 1_795_794_157_409, -86_400_000, 9_007_199_254_740_991];
    expect(integers(values.join(','))).toEqual(values);
  });

  it('reads nothing from an empty or absent aggregate', () => {
    expect(integers('')).toEqual([]);
    expect(integers(null)).toEqual([]);
    expect(integers(undefined)).toEqual([]);
  });
});
