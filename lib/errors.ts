// Error messages in one shape: what was wrong with which argument, what was expected, what came.

/** Describes a received value briefly: `1.5 of type number`, `Float64Array(12)`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (ArrayBuffer.isView(value)) {
    const name = value.constructor?.name ?? 'TypedArray';
    return `${name}(${(value as unknown as { length: number }).length})`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '...' : value}" of type string`;
  if (typeof value === 'object') return `an object of class ${value.constructor?.name ?? 'Object'}`;
  return `${String(value)} of type ${typeof value}`;
}

export function typeError(where: string, arg: string, expected: string, received: unknown): TypeError {
  return new TypeError(`${where}: expected ${arg} to be ${expected}, but received ${describe(received)}`);
}

export function rangeError(where: string, arg: string, expected: string, received: string): RangeError {
  return new RangeError(`${where}: expected ${arg} to be ${expected}, but received ${received}`);
}
