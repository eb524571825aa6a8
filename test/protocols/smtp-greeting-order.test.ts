// A proxy answer never overtakes the greeting of a server that speaks first: a client that
// pipelines a command before a delayed greeting gets the greeting, then the injected 451 (it
// got the 451 first before).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY, delay, identity, mergeMap } from 'rxjs';
import { Behavior, defineBehavior } from '../../lib/index.js';
import { startTestProxy } from '../helpers/proxy.js';
import { rawClient, startTcpServer } from '../helpers/sockets.js';

// Holds the greeting 200 ms; answers every command with the protocol's error.
Behavior.register(
  defineBehavior({
    name: 'slow-greeting-then-error',
    description: 'test',
    options: {},
    operator: ({ direction, opener, protocol, connection, rng }) => {
      if (opener === 'response') return direction === 'response' ? delay(200) : identity;
      if (direction !== 'request') return identity;
      return mergeMap((message) => {
        if (message.last) connection.reply(protocol.errorReply(message, rng).bytes);
        return EMPTY;
      });
    },
  }),
);

test('a command pipelined before a delayed greeting is answered after the greeting', async (t) => {
  const backend = await startTcpServer(t, (socket) => {
    socket.write('220 mail.example ESMTP\r\n');
    socket.on('data', () => socket.write('250 ok\r\n'));
  });
  const { port } = await startTestProxy(t, { backend: backend.address, protocol: 'smtp', protocolOptions: { handshake: true }, behavior: '100:slow-greeting-then-error' });
  const client = await rawClient(t, port);
  client.socket.write('EHLO early\r\n');
  const answer = (await client.waitFor('220 mail.example ESMTP\r\n451 4.3.0 vaurien injected error\r\n'.length)).toString();
  assert.equal(answer, '220 mail.example ESMTP\r\n451 4.3.0 vaurien injected error\r\n');
});
