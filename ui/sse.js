// @ts-check
// A Server-Sent Events stream of the API (`/events`, `/proxy`), read with fetch (EventSource
// cannot send a token) and followed across reconnections with Last-Event-ID: the API cuts a reader
// that falls behind, and this one picks up what it missed.
import { headers, Unauthorized } from './api.js';

/**
 * Calls `onEvent` with each event's data until `signal` aborts; reconnects after a failure.
 * @param {string} path
 * @param {(data: string) => void} onEvent
 * @param {(connected: boolean) => void} onStatus
 * @param {AbortSignal} signal
 * @param {() => void} onUnauthorized
 */
export async function followEvents(path, onEvent, onStatus, signal, onUnauthorized) {
  /** @type {string | undefined} */
  let lastId;
  while (!signal.aborted) {
    try {
      const response = await fetch(path, { headers: headers({ Accept: 'text/event-stream', ...(lastId === undefined ? {} : { 'Last-Event-ID': lastId }) }), signal });
      if (response.status === 401) throw new Unauthorized('token');
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
      onStatus(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('data: ')) data.push(line.slice(6));
            else if (line.startsWith('id: ')) lastId = line.slice(4);
          }
          if (data.length > 0) onEvent(data.join('\n'));
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof Unauthorized) return onUnauthorized();
    }
    onStatus(false);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
