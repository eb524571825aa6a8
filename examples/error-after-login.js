// A behavior plugin: `error`, counted per connection. Each connection's first `after` exchanges
// pass (a login, a handshake), and every later one gets the protocol's error; the built-in
// `warmup` counts per proxy instead. Try it with:
//   vaurien --protocol smtp --backend localhost:25 --behavior 100:./examples/error-after-login.js --behavior-error-after-login-after 3
import { identity } from 'vaurien/rxjs';
import { Behavior } from 'vaurien'; // the running vaurien's registry, with its built-in `error`

/** @type {import('vaurien').BehaviorDefinition<{ after: number }>} */
export const errorAfterLogin = {
  name: 'error-after-login',
  description: "Lets each connection's first `after` exchanges through, then answers every exchange with the protocol's error",
  options: { after: { type: 'int', default: 1, description: 'Exchanges let through on each connection' } },
  operator(context) {
    if (context.exchange <= context.options.after) return identity; // `exchange` counts 1, 2, 3... per connection
    return Behavior.get('error').operator({ ...context, options: { inject: false, warmup: 0 } });
  },
};
