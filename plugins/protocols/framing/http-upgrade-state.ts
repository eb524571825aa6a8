// What the response framer tells the request framer about protocol switches (one object per
// connection, made with both framers): after a 101 (or a CONNECT answered 2xx) both directions
// stop being HTTP, and until an Upgrade request is answered the request side cannot know.

export interface HttpUpgradeState {
  /** A 101 Switching Protocols or a CONNECT tunnel went by: both directions are raw from now on. */
  switched: boolean;
  /** The newest exchange whose final (non-1xx) response head went by. */
  finalAnswered: number;
  /** An Upgrade or CONNECT was asked: the backend connection may belong to this client's new protocol. */
  switchAsked: boolean;
}

