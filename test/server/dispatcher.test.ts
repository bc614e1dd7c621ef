/**
 * What the dispatcher does with requests it does not serve: ApiVersions is always answered
 * (KIP-511); anything else closes the connection, as Kafka does.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { apiVersionsApi, heartbeatApi, metadataApi } from '../../src/protocol/index.js';
import { MalformedRequestError } from '../../src/server/connection.js';
import { Dispatcher, type ApiHandler } from '../../src/server/dispatcher.js';
import { decodeResponseFrame, requestFrame } from '../helpers/kafka-protocol.js';
import { quietLogger } from '../helpers/logger.js';

const connection = { id: 1, remoteAddress: '127.0.0.1:1', listenerName: 'PLAINTEXT' };

/** Heartbeat served at v0-v2 only, while the schema knows v0-v4. */
const narrowHeartbeat: ApiHandler<typeof heartbeatApi> = {
  api: heartbeatApi,
  versions: [0, 2],
  handle: () => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE }),
};

function dispatcher(): Dispatcher {
  return new Dispatcher([narrowHeartbeat as unknown as ApiHandler], quietLogger());
}

const heartbeat = { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null };

describe('requests the dispatcher does not serve', () => {
  it('answers a served version', async () => {
    const out = await dispatcher().dispatch(requestFrame(heartbeatApi, 2, heartbeat), connection);
    expect(decodeResponseFrame(heartbeatApi, 2, out as Buffer).body.errorCode).toBe(ErrorCode.NONE);
  });

  it('refuses a version the schema knows but the handler does not serve, so the connection closes (no error body)', () => {
    expect(() => dispatcher().dispatch(requestFrame(heartbeatApi, 3, heartbeat), connection)).toThrow(MalformedRequestError);
  });

  it('refuses an API the schema knows but no handler serves', () => {
    expect(() => dispatcher().dispatch(requestFrame(metadataApi, 1, { topics: [] }), connection)).toThrow(/API key 3, which is not served/);
  });

  it('answers ApiVersions at an unknown version with v0, UNSUPPORTED_VERSION and what it serves', async () => {
    const frame = requestFrame(apiVersionsApi, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
    frame.writeInt16BE(99, 2);
    const out = (await dispatcher().dispatch(frame, connection)) as Buffer;
    const { body } = decodeResponseFrame(apiVersionsApi, 0, out);
    expect(body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(body.apiKeys).toEqual([{ apiKey: heartbeatApi.apiKey, minVersion: 0, maxVersion: 2 }]);
  });
});
