// A jest environment for test files that take tensors from native addons (onnxruntime-node,
// gatedrnn). Opt in per file with the docblock
//   /** @jest-environment ./test/helpers/node-realm-environment.ts */
//
// Why: jest runs each test file in its own vm context, whose Float32Array, ArrayBuffer, ... are
// different objects from Node's own. Native addons create their typed arrays in Node's main
// context, so `data instanceof Float32Array` is false inside a test. onnxruntime-node's Tensor
// constructor makes exactly that check on every output it returns and throws
// "A float32 tensor's data must be type of function Float32Array()". Sharing the main context's
// constructors with the test context makes both sides agree.

import { TestEnvironment } from 'jest-environment-node';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';

const SHARED_GLOBALS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Float16Array', // Node 24+
];

export default class NodeRealmEnvironment extends TestEnvironment {
  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const main = globalThis as unknown as Record<string, unknown>;
    const test = this.global as unknown as Record<string, unknown>;
    for (const name of SHARED_GLOBALS) {
      if (name in main) test[name] = main[name];
    }
  }
}
