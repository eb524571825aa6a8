// @ts-check
// Adding a toxic to a server proxy: its type (every vaurien behavior and Toxiproxy toxic, from
// `GET /behaviors?details`), name, stream, toxicity, typed attribute fields and an optional
// duration after which it removes itself. One `POST /proxies/{proxy}/toxics`, as a client sends it.
import { call } from './api.js';
import { el } from './format.js';
import { optionField, optionValue } from './option-field.js';

/** @typedef {import('./option-field.js').BehaviorDescription} BehaviorDescription */

export class ToxicForm {
  /**
   * @param {string} proxy its name (in the API's paths)
   * @param {BehaviorDescription[]} behaviors the toxic types
   * @param {(message: string) => void} onChanged
   */
  constructor(proxy, behaviors, onChanged) {
    this.proxy = proxy;
    this.onChanged = onChanged;
    // `dummy` does nothing (Toxiproxy's do-nothing toxic is `noop`).
    this.types = new Map(behaviors.filter((behavior) => behavior.name !== 'dummy').map((behavior) => [behavior.name, behavior]));
    this.type = el('select', { name: 'type', 'aria-label': 'toxic type' }, [...this.types.keys()].map((name) => el('option', { value: name }, [name])));
    this.type.value = this.types.has('latency') ? 'latency' : (this.types.keys().next().value ?? '');
    this.toxicName = el('input', { name: 'name', autocomplete: 'off', 'aria-label': 'toxic name' });
    this.stream = el('select', { name: 'stream', 'aria-label': 'stream' }, [el('option', { value: 'downstream' }, ['downstream']), el('option', { value: 'upstream' }, ['upstream'])]);
    this.toxicity = el('input', { name: 'toxicity', type: 'number', min: '0', max: '1', step: 'any', value: '1', 'aria-label': 'toxicity' });
    this.fields = el('div', { class: 'fields' });
    this.duration = el('input', { name: 'duration', type: 'number', min: '0', step: 'any', placeholder: 'until removed', 'aria-label': 'duration in seconds' });
    this.error = el('p', { class: 'error', hidden: '' });
    this.form = el('form', { class: 'toxic-form' }, [
      el('label', {}, ['Toxic ', this.type]),
      el('label', {}, ['name ', this.toxicName]),
      el('label', {}, ['stream ', this.stream]),
      el('label', {}, ['toxicity ', this.toxicity]),
      this.fields,
      el('label', {}, ['for ', this.duration, ' s']),
      el('button', { type: 'submit' }, ['Add toxic']),
      this.error,
    ]);
    this.type.addEventListener('change', () => this.renderFields());
    this.stream.addEventListener('change', () => this.namePlaceholder());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.renderFields();
  }

  /** The chosen type's attributes (its options but `stream`, which has its own field), at their defaults. */
  renderFields() {
    const type = this.types.get(this.type.value);
    const fields = [];
    for (const [attribute, spec] of Object.entries(type?.options ?? {})) {
      if (attribute !== 'stream') fields.push(optionField(attribute, spec, spec.default, { attribute }));
    }
    this.fields.replaceChildren(...fields);
    this.namePlaceholder();
  }

  /** Toxiproxy's default name: `<type>_<stream>`. */
  namePlaceholder() {
    this.toxicName.placeholder = `${this.type.value}_${this.stream.value}`;
  }

  async submit() {
    /** @type {Record<string, unknown>} */
    const attributes = {};
    for (const input of this.fields.querySelectorAll('input, select')) {
      const attribute = input instanceof HTMLInputElement || input instanceof HTMLSelectElement ? input.dataset['attribute'] : undefined;
      if (attribute !== undefined) attributes[attribute] = optionValue(/** @type {HTMLInputElement | HTMLSelectElement} */ (input));
    }
    const name = this.toxicName.value.trim();
    const seconds = this.duration.value.trim() === '' ? undefined : Number(this.duration.value);
    const body = {
      type: this.type.value,
      stream: this.stream.value,
      toxicity: Number(this.toxicity.value),
      attributes,
      ...(name === '' ? {} : { name }),
      ...(seconds === undefined ? {} : { duration: seconds }),
    };
    try {
      const added = /** @type {{ name: string }} */ (await call('POST', `../proxies/${encodeURIComponent(this.proxy)}/toxics`, body));
      this.error.hidden = true;
      this.toxicName.value = '';
      this.duration.value = '';
      this.onChanged(seconds === undefined ? `toxic ${added.name} added` : `toxic ${added.name} added for ${seconds} s`);
    } catch (error) {
      this.error.textContent = error instanceof Error ? error.message : String(error);
      this.error.hidden = false;
    }
  }
}
