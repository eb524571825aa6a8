// @ts-check
// One typed field for an option of a behavior (or an attribute of a toxic), from its option table
// as `GET /behaviors?details` lists it: a checkbox for a bool, a list for a string with choices,
// a number or a text box otherwise; and the value it holds, typed back.
import { el } from './format.js';

/**
 * @typedef {{ type: string, default: unknown, description: string, min?: number, max?: number, choices?: string[] }} OptionSpec
 * @typedef {{ name: string, description: string, options: Record<string, OptionSpec> }} BehaviorDescription
 */

/**
 * A labelled field; `data` goes on the input as `data-*` attributes (it says what the field is for).
 * @param {string} label
 * @param {OptionSpec} spec
 * @param {unknown} value
 * @param {Record<string, string>} data
 */
export function optionField(label, spec, value, data) {
  /** @type {Record<string, string>} */
  const attributes = { 'data-type': spec.type };
  for (const [key, given] of Object.entries(data)) attributes[`data-${key}`] = given;
  let input;
  if (spec.type === 'bool') {
    input = el('input', { ...attributes, type: 'checkbox' });
    input.checked = value === true;
  } else if (spec.choices !== undefined) {
    input = el('select', attributes, spec.choices.map((choice) => el('option', { value: choice }, [choice])));
    input.value = String(value);
  } else {
    input = el('input', { ...attributes, type: spec.type === 'string' ? 'text' : 'number', step: 'any', value: String(value) });
  }
  return el('label', { title: spec.description }, [`${label} `, input]);
}

/** The typed value of a field made by `optionField`. @param {HTMLInputElement | HTMLSelectElement} input */
export function optionValue(input) {
  const type = input.dataset['type'];
  if (type === 'bool' && input instanceof HTMLInputElement) return input.checked;
  return type === 'string' ? input.value : Number(input.value);
}
