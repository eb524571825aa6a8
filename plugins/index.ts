// Registers the built-in behaviors and protocols through the same register() a third-party
// plugin uses (Toxiproxy's eight toxics among them). Imported for its effect by the proxy and the
// public entry point.
import { Behavior } from '../lib/registry/behaviors.js';
import { Protocol } from '../lib/registry/protocols.js';
import { abort } from './behaviors/abort.js';
import { bandwidth } from './behaviors/bandwidth.js';
import { latency } from './behaviors/latency.js';
import { limitData } from './behaviors/limit-data.js';
import { noop } from './behaviors/noop.js';
import { resetPeer } from './behaviors/reset-peer.js';
import { slicer } from './behaviors/slicer.js';
import { slowClose } from './behaviors/slow-close.js';
import { timeout } from './behaviors/timeout.js';
import { blackout } from './behaviors/blackout.js';
import { delay } from './behaviors/delay.js';
import { dummy } from './behaviors/dummy.js';
import { error } from './behaviors/error.js';
import { hang } from './behaviors/hang.js';
import { transient } from './behaviors/transient.js';
import { http } from './protocols/http.js';
import { memcache } from './protocols/memcache.js';
import { mysql } from './protocols/mysql.js';
import { postgres } from './protocols/postgres.js';
import { redis } from './protocols/redis.js';
import { smtp } from './protocols/smtp.js';
import { tcp } from './protocols/tcp.js';

Behavior.register(abort);
Behavior.register(blackout);
Behavior.register(delay);
Behavior.register(dummy);
Behavior.register(error);
Behavior.register(hang);
Behavior.register(transient);
// Toxiproxy's toxics, as stream behaviors (a `vaurien server` serves them as toxic types).
Behavior.register(bandwidth);
Behavior.register(latency);
Behavior.register(limitData);
Behavior.register(noop);
Behavior.register(resetPeer);
Behavior.register(slicer);
Behavior.register(slowClose);
Behavior.register(timeout);
Protocol.register(http);
Protocol.register(memcache);
Protocol.register(mysql);
Protocol.register(postgres);
Protocol.register(redis);
Protocol.register(smtp);
Protocol.register(tcp);
