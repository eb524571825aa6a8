// A behavior plugin in the original's hook style: refuses HTTP writes (POST, PUT, PATCH,
// DELETE) with the protocol's own error answer, and lets reads through. Try it with:
//   vaurien --protocol http --backend localhost:8888 --behavior 100:./examples/refuse-writes.js

// The context is one object per side of an exchange, so it can key per-request state.
const refused = new WeakMap(); // context → the refused request's first message

export default {
  name: 'refuse-writes',
  description: 'Answers write requests with an error; reads go through',
  options: { methods: ['Methods refused, comma-separated', 'str', 'POST,PUT,PATCH,DELETE'] },

  onBeforeHandle(message, context) {
    if (!context.toBackend) return true; // responses pass unchanged
    const method = String(message.info?.method);
    if (message.first && context.options.methods.split(',').includes(method)) refused.set(context, message);
    const request = refused.get(context);
    if (request === undefined) return true;
    if (message.last) {
      const reply = context.protocol.errorReply(request, context.rng);
      context.connection.reply(reply.bytes, { close: reply.close });
    }
    return false; // never forwarded: the backend does not see the write
  },

  onAfterHandle(message, { log, toBackend }) {
    if (toBackend && message.first) log.debug(`refuse-writes: let ${message.info?.method} ${message.info?.target} through`);
  },
};
