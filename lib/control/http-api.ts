// PLACEHOLDER: the control API (SPEC section 5) is being written; this file keeps its signature.
import type { HostPort } from '../proxy/address.js';
import type { VaurienProxy } from '../proxy/proxy.js';
import type { Logger } from '../log.js';

export interface ControlApiOptions {
  readonly host: string;
  readonly port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly log: Logger;
}

export interface ControlApi {
  readonly address: HostPort;
  close(): Promise<void>;
}

export async function startControlApi(_proxy: VaurienProxy, _options: ControlApiOptions): Promise<ControlApi> {
  throw new Error('the control API is not implemented yet');
}
