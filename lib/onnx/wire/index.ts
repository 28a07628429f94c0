// Protobuf wire format, read and written without dependencies: the reader checks every bound of
// hostile input, the writer produces canonical output.
export { DEFAULT_MAX_DEPTH, OnnxParseError, WireType, wireTypeName } from './types';
export { Reader } from './reader';
export type { ReaderFrame } from './reader';
export { Writer, varintSize } from './writer';
