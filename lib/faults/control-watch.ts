// Sees the calls a behavior makes on its connection (reply, closeClient, closeBoth, reset) for the
// fault log, then makes them: the behavior's effect is unchanged, only noted.
import type { ConnectionControl } from '../contract/behavior.js';
import type { ControlCalls } from './outcome.js';

/** No call seen yet. */
export function noCalls(): ControlCalls {
  return { replied: false, closedClient: false, closedBoth: false, reset: false };
}

/** `control`, noting each call in `calls` before making it. */
export function watchControl(control: ConnectionControl, calls: ControlCalls): ConnectionControl {
  return {
    reply: (bytes, options) => {
      calls.replied = true;
      control.reply(bytes, options);
    },
    closeClient: () => {
      calls.closedClient = true;
      control.closeClient();
    },
    closeBoth: () => {
      calls.closedBoth = true;
      control.closeBoth();
    },
    reset: () => {
      calls.reset = true;
      control.reset();
    },
  };
}
