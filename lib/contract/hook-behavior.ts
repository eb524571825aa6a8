// The original Vaurien's hook style (`on_before_handle` / `on_after_handle`, or camelCase),
// adapted into an RxJS operator in this one place: a hook plugin becomes an ordinary
// BehaviorDefinition, so the engine knows a single contract. Hooks that answer synchronously
// stay on the synchronous path.
import { EMPTY, concat, concatMap, defer, from, identity, ignoreElements, mergeMap, of, type Observable } from 'rxjs';
import type { BehaviorContext, BehaviorDefinition } from './behavior.js';
import type { Message } from './message.js';
import type { OptionSpec, OptionTable, OptionType, OptionValue, OptionValues } from './options.js';

/**
 * What a hook gets besides the message: the behavior context, plus the original's `to_backend`.
 * It is one object per side of an exchange (the same for each of its messages), so a plugin can
 * key per-request state on it (a WeakMap) without mixing connections up.
 */
export interface HookContext<O extends OptionValues = OptionValues> extends BehaviorContext<O> {
  /** True for client → backend messages (the original's `to_backend`). */
  readonly toBackend: boolean;
}

/**
 * What `onBeforeHandle` decides for a message: `false` drops it (it is not forwarded),
 * a `Message` or `Buffer` is forwarded instead of it, anything else (`true`, nothing)
 * forwards it unchanged. A promise is awaited first, so a hook may also wait.
 */
export type HookVerdict = boolean | void | undefined | Message | Buffer;

/**
 * The original's option tuple, `(description, type, default)`, accepted when porting a plugin.
 * Python's `bool`/`int`/`str` become the names `'bool'`, `'int'`, `'str'`, or JS's `Boolean`,
 * `Number` (a float) and `String`.
 */
export type OptionTuple = readonly [
  description: string,
  type: OptionType | 'str' | BooleanConstructor | NumberConstructor | StringConstructor,
  defaultValue: OptionValue,
];

/**
 * A behavior written in hooks. Each message of an exchange the behavior is picked for goes
 * through `onBeforeHandle` (before it is forwarded) and, if it was forwarded, `onAfterHandle`.
 * @example
 * export const noisy = defineHookBehavior({
 *   name: 'noisy',
 *   description: 'Logs every request it sees',
 *   onBeforeHandle(message, { toBackend, log }) {
 *     if (toBackend) log.info(`request of ${message.bytes.length} bytes`);
 *     return true;
 *   },
 * });
 */
export interface HookBehavior<O extends OptionValues = OptionValues> {
  readonly name: string;
  readonly description?: string;
  readonly options?: OptionTable<O> | { readonly [K in keyof O]: OptionTuple };
  onBeforeHandle?(message: Message, context: HookContext<O>): HookVerdict | Promise<HookVerdict>;
  onAfterHandle?(message: Message, context: HookContext<O>): unknown;
  /** The original's spelling of `onBeforeHandle`, accepted as is (used when `onBeforeHandle` is absent). */
  on_before_handle?(message: Message, context: HookContext<O>): HookVerdict | Promise<HookVerdict>;
  /** The original's spelling of `onAfterHandle`. */
  on_after_handle?(message: Message, context: HookContext<O>): unknown;
}

/** True for an object written in the hook style (and not already a behavior definition). */
export function isHookBehavior(value: unknown): value is HookBehavior {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<HookBehavior> & { operator?: unknown };
  return typeof candidate.operator !== 'function' && (beforeHook(candidate) !== undefined || afterHook(candidate) !== undefined);
}

function beforeHook<O extends OptionValues>(hooks: Partial<HookBehavior<O>>): HookBehavior<O>['onBeforeHandle'] {
  const hook = hooks.onBeforeHandle ?? hooks.on_before_handle;
  return typeof hook === 'function' ? hook : undefined;
}

function afterHook<O extends OptionValues>(hooks: Partial<HookBehavior<O>>): HookBehavior<O>['onAfterHandle'] {
  const hook = hooks.onAfterHandle ?? hooks.on_after_handle;
  return typeof hook === 'function' ? hook : undefined;
}

/** Turns a hook-style behavior into a behavior definition (register the result). */
export function defineHookBehavior<O extends OptionValues>(hooks: HookBehavior<O>): BehaviorDefinition<O> {
  const onBeforeHandle = beforeHook(hooks);
  const onAfterHandle = afterHook(hooks);
  return {
    name: hooks.name,
    description: hooks.description ?? `${hooks.name} (hook-style plugin)`,
    options: normalizeOptionTable(hooks.options ?? {}, hooks.name) as OptionTable<O>,
    operator(context) {
      if (onBeforeHandle === undefined && onAfterHandle === undefined) return identity;
      const hookContext: HookContext<O> = { ...context, toBackend: context.direction === 'request' };
      // Called as methods, so a class instance's hooks keep their `this`.
      const before = (message: Message): HookVerdict | Promise<HookVerdict> =>
        onBeforeHandle === undefined ? true : onBeforeHandle.call(hooks, message, hookContext);
      const after = (message: Message): Observable<never> =>
        defer(() => {
          const done = onAfterHandle?.call(hooks, message, hookContext);
          return isPromiseLike(done) ? from(done).pipe(ignoreElements()) : EMPTY;
        });
      const forward = (message: Message, verdict: HookVerdict): Observable<Message> => {
        const out = outcome(message, verdict);
        if (out === undefined) return EMPTY;
        return onAfterHandle === undefined ? of(out) : concat(of(out), after(out));
      };
      // concatMap: a hook that waits (a promise) holds the messages behind it, in order.
      return concatMap((message: Message) =>
        defer(() => {
          const verdict = before(message);
          return isPromiseLike(verdict) ? from(verdict).pipe(mergeMap((settled) => forward(message, settled))) : forward(message, verdict);
        }),
      );
    },
  };
}

function outcome(message: Message, verdict: HookVerdict): Message | undefined {
  if (verdict === false) return undefined;
  if (Buffer.isBuffer(verdict)) return { ...message, bytes: verdict };
  if (typeof verdict === 'object' && verdict !== null) return verdict;
  return message;
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function';
}

const TUPLE_TYPES: Readonly<Record<string, OptionType>> = { bool: 'bool', int: 'int', float: 'float', string: 'string', str: 'string' };
// JS's constructors, as a port of Python's `bool`/`int`/`str` writes them: Number holds fractions too.
const CONSTRUCTOR_TYPES = new Map<unknown, OptionType>([
  [Boolean, 'bool'],
  [Number, 'float'],
  [String, 'string'],
]);

/** Accepts an option table, or the original's `{ sleep: ['Delay in seconds', 'float', 1] }`. */
export function normalizeOptionTable(
  options: Readonly<Record<string, OptionSpec | OptionTuple>>,
  behaviorName: string,
): OptionTable {
  const table: Record<string, OptionSpec> = {};
  for (const [name, spec] of Object.entries(options)) {
    if (!Array.isArray(spec)) {
      table[name] = spec as OptionSpec;
      continue;
    }
    const [description, typeName, defaultValue] = spec as OptionTuple;
    const type = typeof typeName === 'string' ? TUPLE_TYPES[typeName] : CONSTRUCTOR_TYPES.get(typeName);
    if (type === undefined) {
      const shown = typeof typeName === 'function' ? (typeName as { name: string }).name : String(typeName);
      throw new TypeError(`behavior ${behaviorName}: option ${name} has unknown type "${shown}" (bool, int, float or string; or Boolean, Number, String)`);
    }
    table[name] = { description, type, default: defaultValue };
  }
  return table;
}
