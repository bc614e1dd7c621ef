/**
 * ApiVersions (api key 18), versions 0–4; flexible from v3.
 *
 *   v0     empty request; response: errorCode, apiKeys (apiKey, minVersion, maxVersion)
 *   v1     response: throttleTimeMs
 *   v2     same (responses sent before throttling)
 *   v3     flexible; request: clientSoftwareName, clientSoftwareVersion (KIP-511); response:
 *          tagged supportedFeatures (0), finalizedFeaturesEpoch (1), finalizedFeatures (2),
 *          zkMigrationReady (3) (KIP-584)
 *   v4     supportedFeatures may list features whose minVersion is 0 (KAFKA-17011)
 *
 * The response header is always v0 (no tagged fields), whatever the version — a client that
 * does not know our versions yet must be able to read it (KIP-511); see headers.ts. A request
 * for a version we do not know is answered with a v0 response and UNSUPPORTED_VERSION.
 */
import type { ApiSchema } from '../schema.js';

export const apiVersionsApi = {
  apiKey: 18,
  name: 'ApiVersions',
  validVersions: [0, 4],
  flexibleVersions: 3,
  request: [
    { name: 'clientSoftwareName', type: 'string', versions: [3], ignorable: true },
    { name: 'clientSoftwareVersion', type: 'string', versions: [3], ignorable: true },
  ],
  response: [
    { name: 'errorCode', type: 'int16', versions: [0] },
    {
      name: 'apiKeys',
      versions: [0],
      type: {
        array: [
          { name: 'apiKey', type: 'int16', versions: [0] },
          { name: 'minVersion', type: 'int16', versions: [0] },
          { name: 'maxVersion', type: 'int16', versions: [0] },
        ],
      },
    },
    { name: 'throttleTimeMs', type: 'int32', versions: [1], ignorable: true },
    {
      name: 'supportedFeatures',
      versions: [3],
      taggedVersions: [3],
      tag: 0,
      ignorable: true,
      type: {
        array: [
          { name: 'name', type: 'string', versions: [3] },
          { name: 'minVersion', type: 'int16', versions: [3] },
          { name: 'maxVersion', type: 'int16', versions: [3] },
        ],
      },
    },
    { name: 'finalizedFeaturesEpoch', type: 'int64', versions: [3], taggedVersions: [3], tag: 1, default: -1, ignorable: true },
    {
      name: 'finalizedFeatures',
      versions: [3],
      taggedVersions: [3],
      tag: 2,
      ignorable: true,
      type: {
        array: [
          { name: 'name', type: 'string', versions: [3] },
          { name: 'maxVersionLevel', type: 'int16', versions: [3] },
          { name: 'minVersionLevel', type: 'int16', versions: [3] },
        ],
      },
    },
    { name: 'zkMigrationReady', type: 'bool', versions: [3], taggedVersions: [3], tag: 3, default: false, ignorable: true },
  ],
} as const satisfies ApiSchema;
