/**
 * The Kafka wire protocol: primitives, the schema-driven codec, headers and the API registry.
 * No I/O here and nothing from storage/ or broker/.
 */
export { ProtocolError, type ProtocolErrorCode } from './errors.js';
export { Reader, Writer, ZERO_UUID, sizeOfUnsignedVarint, type TaggedField } from './primitives.js';
export * from './schema.js';
export {
  codecFor,
  defaultValue,
  encodeRequest,
  encodeResponse,
  decodeRequest,
  decodeResponse,
  writeRequest,
  writeResponse,
  type CompiledCodec,
} from './codec.js';
export * from './headers.js';
export * from './apis/index.js';
