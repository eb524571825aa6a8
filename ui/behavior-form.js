// @ts-check
// Changing a proxy's behavior mix: the spec (`20:delay,10:error`), each behavior's options as
// typed fields (from `GET /behaviors?details`), and an optional duration after which the previous
// setting comes back. Sent as one `PUT /behavior`; the API's refusal is shown as it wrote it.
import { call } from './api.js';
import { el } from './format.js';
import { optionField, optionValue } from './option-field.js';

/**
 * @typedef {import('./option-field.js').BehaviorDescription} BehaviorDescription
 * @typedef {Record<string, Record<string, unknown>>} OptionsByBehavior
 */

/** The behavior names of a spec (`20:delay,10:error` → delay, error). @param {string} spec */
export function namesOf(spec) {
  return spec
    .split(',')
    .map((part) => part.slice(part.indexOf(':') + 1).trim())
    .filter((name) => name !== '');
}

export class BehaviorForm {
  /**
   * @param {BehaviorDescription[]} behaviors
   * @param {(message: string) => void} onChanged
   */
  constructor(behaviors, onChanged) {
    this.behaviors = new Map(behaviors.map((behavior) => [behavior.name, behavior]));
    this.onChanged = onChanged;
    /** @type {OptionsByBehavior} */
    this.current = {};
    const list = el('datalist', { id: `behaviors-${Math.random().toString(36).slice(2)}` }, behaviors.map((behavior) => el('option', { value: behavior.name }, [])));
    this.spec = el('input', { name: 'spec', list: list.id, placeholder: '20:delay,10:error', required: '', autocomplete: 'off', 'aria-label': 'behavior mix' });
    this.fields = el('div', { class: 'fields' });
    this.duration = el('input', { name: 'duration', type: 'number', min: '0', step: 'any', placeholder: 'until changed', 'aria-label': 'duration in seconds' });
    this.error = el('p', { class: 'error', hidden: '' });
    this.form = el('form', { class: 'behavior-form' }, [
      el('label', {}, ['Behavior mix ', this.spec, list]),
      this.fields,
      el('label', {}, ['For ', this.duration, ' s']),
      el('button', { type: 'submit' }, ['Apply']),
      this.error,
    ]);
    this.spec.addEventListener('input', () => this.renderFields());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  /** Fills the form with the setting in force (unless the user is editing it). @param {string} spec @param {OptionsByBehavior} options */
  show(spec, options) {
    this.current = options;
    if (this.form.contains(document.activeElement)) return;
    this.spec.value = spec;
    this.renderFields();
  }

  renderFields() {
    const fields = [];
    for (const name of namesOf(this.spec.value)) {
      const behavior = this.behaviors.get(name);
      if (behavior === undefined) continue;
      for (const [option, spec] of Object.entries(behavior.options)) {
        fields.push(optionField(`${name}.${option}`, spec, this.current[name]?.[option] ?? spec.default, { behavior: name, option }));
      }
    }
    this.fields.replaceChildren(...fields);
  }

  async submit() {
    /** @type {OptionsByBehavior} */
    const options = {};
    for (const input of this.fields.querySelectorAll('input, select')) {
      if (!(input instanceof HTMLInputElement || input instanceof HTMLSelectElement)) continue;
      const { behavior, option } = input.dataset;
      if (behavior === undefined || option === undefined) continue;
      (options[behavior] ??= {})[option] = optionValue(input);
    }
    const seconds = this.duration.value.trim() === '' ? undefined : Number(this.duration.value);
    const spec = this.spec.value.trim();
    try {
      await call('PUT', '../behavior', { behavior: spec, options, ...(seconds === undefined ? {} : { duration: seconds }) });
      this.error.hidden = true;
      this.duration.value = '';
      this.onChanged(seconds === undefined ? `behavior set to ${spec}` : `behavior set to ${spec} for ${seconds} s`);
    } catch (error) {
      this.error.textContent = error instanceof Error ? error.message : String(error);
      this.error.hidden = false;
    }
  }
}
