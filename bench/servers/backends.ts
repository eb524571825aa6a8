// The bench's backends, in their own process so the load generator does not share its event
// loop: a tcp echo and a keep-alive HTTP server. Prints "echo PORT" and "http PORT".
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';

const echo = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});
const body = Buffer.from('{"ok":true}');
const http = createHttpServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  request.resume();
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
});
echo.listen(0, '127.0.0.1', () => {
  http.listen(0, '127.0.0.1', () => {
    process.stdout.write(`echo ${(echo.address() as AddressInfo).port}\nhttp ${(http.address() as AddressInfo).port}\n`);
  });
});
