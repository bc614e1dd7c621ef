/**
 * ApiVersions (18), versions 0–4.
 *
 *   v0    the list of served APIs with min/max versions
 *   v1+   throttleTimeMs
 *   v3+   flexible; the request names the client software (KIP-511), logged at debug
 *   v4    as v3
 *
 * A request at a version we do not serve is answered by the dispatcher (v0 body with
 * UNSUPPORTED_VERSION and this same list). Feature flags (KIP-584) are not advertised.
 */
import { apiVersionsApi } from '../../protocol/index.js';
import type { ApiHandler } from '../dispatcher.js';

export function apiVersionsHandler(advertised: () => { apiKey: number; minVersion: number; maxVersion: number }[]): ApiHandler<typeof apiVersionsApi> {
  return {
    api: apiVersionsApi,
    versions: [0, 4],
    handle(request, ctx) {
      if (ctx.header.apiVersion >= 3) {
        ctx.logger.debug(
          { client: request.clientSoftwareName, clientVersion: request.clientSoftwareVersion, remote: ctx.connection.remoteAddress },
          'client connected',
        );
      }
      return { errorCode: 0, apiKeys: advertised(), throttleTimeMs: 0 };
    },
  };
}
