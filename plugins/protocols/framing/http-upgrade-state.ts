// What the response direction tells the request direction about protocol switches, through
// the connection's `shared` object: after a 101 (or a CONNECT answered 2xx) both directions
// stop being HTTP, and until an Upgrade request is answered the request side cannot know.

export interface HttpUpgradeState {
  /** A 101 Switching Protocols or a CONNECT tunnel went by: both directions are raw from now on. */
  switched: boolean;
  /** The newest exchange whose final (non-1xx) response head went by. */
  finalAnswered: number;
}

/** The one state object of a connection, created by whichever direction asks first. */
export function httpUpgradeStateOf(shared: Record<string, unknown>): HttpUpgradeState {
  const existing = shared['http'] as HttpUpgradeState | undefined;
  if (existing !== undefined) return existing;
  const state: HttpUpgradeState = { switched: false, finalAnswered: 0 };
  shared['http'] = state;
  return state;
}
