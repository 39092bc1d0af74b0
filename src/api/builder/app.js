'use strict';
// Card builder. Everything is built with DOM calls and toggled with the `hidden` attribute or
// classes: the server's Content-Security-Policy allows this script and app.css only, so inline
// handlers, inline styles and innerHTML tricks would be refused.

const $ = (id) => document.getElementById(id);
const state = { spec: null, kind: null, previewTimer: 0, typed: {}, notes: '' };
const TYPING_DELAY_MS = 300;

// Strict RFC 3986: also escape !'()* so a URL survives Markdown's (...) and HTML attributes.
// Commas are escaped too (%2C), so every value is encoded the same way.
function enc(value) {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function escapeHtml(text) {
  const map = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  return String(text).replace(/[&<>"']/g, (c) => map[c]);
}

// Brackets would end a Markdown image's alt text early.
const escapeMarkdown = (text) => String(text).replace(/[\\[\]]/g, (c) => '\\' + c);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children);
  return node;
}

function fillSelect(select, items, selected) {
  select.replaceChildren(...items.map(([value, label]) => el('option', { value, text: label })));
  if (items.some(([value]) => value === selected)) select.value = selected;
}

// An option's default as the string its input produces, so "differs from the default" is one
// comparison whatever JSON type the default has.
function defaultString(opt) {
  const d = opt.default;
  if (opt.type === 'bool') return d === true ? 'true' : 'false';
  if (d === null || d === undefined) return '';
  return Array.isArray(d) ? d.join(',') : String(d);
}

function helpFor(id, text) {
  return text ? el('p', { id: id + '-help', class: 'help', text }) : '';
}

function subjectField(s, value) {
  const id = 'param-' + s.name;
  const input = el('input', {
    type: 'text', id, name: s.name, placeholder: s.example || null, required: !!s.required,
    autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', 'data-typing': true,
  });
  input.value = value || '';
  const label = el('label', { for: id, text: s.label + (s.required ? '' : ' (optional)') });
  return el('div', { class: 'field' }, label, input);
}

function optionField(opt) {
  const id = 'param-' + opt.name;
  const help = opt.help || null;
  const described = help ? id + '-help' : null;
  const name = el('code', { text: opt.name });
  const def = defaultString(opt);
  if (opt.type === 'bool') {
    const input = el('input', { type: 'checkbox', id, title: help, 'aria-describedby': described });
    input.checked = def === 'true';
    return el('div', { class: 'field check' }, input, el('label', { for: id }, name), helpFor(id, help));
  }
  if (opt.type === 'multi') {
    const on = new Set(def.split(','));
    const boxes = opt.choices.map((choice) => {
      const boxId = `${id}-${choice}`;
      const box = el('input', { type: 'checkbox', id: boxId, value: choice });
      box.checked = on.has(choice);
      return el('span', { class: 'choice' }, box, el('label', { for: boxId, text: choice }));
    });
    return el('fieldset', { class: 'field multi', id, title: help, 'aria-describedby': described },
      el('legend', {}, name), el('div', { class: 'choices' }, ...boxes), helpFor(id, help));
  }
  let input;
  if (opt.type === 'choice') {
    input = el('select', { id, title: help, 'aria-describedby': described });
    // Without a default among the choices the server picks; an empty entry sends nothing.
    const items = opt.choices.map((c) => [c, c]);
    if (!opt.choices.includes(def)) items.unshift(['', '(server default)']);
    fillSelect(input, items, def);
  } else {
    const number = opt.type === 'number';
    input = el('input', {
      type: number ? 'number' : 'text', id, title: help, 'aria-describedby': described,
      min: number ? opt.min : null, max: number ? opt.max : null, step: number ? 1 : null,
      placeholder: opt.example || null, autocomplete: 'off', 'data-typing': true,
    });
    input.value = def;
  }
  return el('div', { class: 'field' }, el('label', { for: id }, name), input, helpFor(id, help));
}

function renderKind() {
  const spec = state.spec;
  state.kind = spec.kinds.find((k) => k.name === $('kind').value) || spec.kinds[0];
  // Keep what was typed (a login, say) for any later kind that asks for the same subject.
  for (const input of $('subject').querySelectorAll('input')) state.typed[input.name] = input.value;
  $('subject').replaceChildren(...state.kind.subject.map((s) => subjectField(s, state.typed[s.name])));
  const options = state.kind.options.map(optionField);
  $('options').replaceChildren(...(options.length ? options : [el('p', { class: 'help', text: 'This card has no options.' })]));

  const previous = $('theme').value || 'default';
  const themes = spec.themes.filter((t) => t.kinds.includes(state.kind.name));
  fillSelect($('theme'), themes.map((t) => [t.name, t.name]), previous);
  if ($('theme').value !== previous) $('theme').value = themes.some((t) => t.name === 'default') ? 'default' : themes[0]?.name || '';
  syncFollowDark();
}

function currentTheme() {
  return state.spec.themes.find((t) => t.name === $('theme').value) || { name: 'default', dark: null, kinds: [] };
}

function syncFollowDark() {
  const theme = currentTheme();
  const box = $('follow-dark');
  box.disabled = !theme.dark;
  // A disabled box that stays ticked would claim something the URL does not do.
  if (box.disabled) box.checked = false;
  $('follow-dark-help').textContent = theme.dark
    ? `theme=${theme.name},auto: ${theme.name} for light mode, ${theme.dark} for dark mode.`
    : `${theme.name} has no dark pair.`;
}

function optionValue(opt) {
  const id = 'param-' + opt.name;
  if (opt.type === 'bool') return $(id).checked ? 'true' : 'false';
  if (opt.type === 'multi') return opt.choices.filter((c) => $(`${id}-${c}`).checked).join(',');
  return $(id).value.trim();
}

// Query pairs in the documented order: subject, type, theme, locale (unless en), then options
// that differ from their defaults, in the order the server lists them.
function queryFor(themeValue) {
  const kind = state.kind;
  const pairs = [];
  const missing = [];
  const invalid = [];
  for (const s of kind.subject) {
    const value = $('param-' + s.name).value.trim();
    if (value) pairs.push([s.name, value]);
    else if (s.required) missing.push(s.label);
  }
  pairs.push(['type', kind.name], ['theme', themeValue]);
  if ($('locale').value !== 'en') pairs.push(['locale', $('locale').value]);
  for (const opt of kind.options) {
    const value = optionValue(opt);
    const def = defaultString(opt);
    if (opt.type === 'number') {
      if (!$('param-' + opt.name).validity.valid) { invalid.push(`${opt.name} (${opt.min} to ${opt.max})`); continue; }
      if (value === '' || (def !== '' && Number(value) === Number(def))) continue;
    } else if (value === def || value === '') continue;
    pairs.push([opt.name, value]);
  }
  const path = state.spec.preview_path + '?' + pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
  return { path, url: location.origin + path, missing, invalid };
}

function setSnippets(markdown, html, picture) {
  $('snippet-markdown').value = markdown;
  $('snippet-html').value = html;
  $('snippet-picture').value = picture;
}

function update(typing) {
  if (!state.kind) return;
  const theme = currentTheme();
  const follow = $('follow-dark');
  const current = queryFor(follow.checked && !follow.disabled ? `${theme.name},auto` : theme.name);
  const preview = $('preview');
  clearTimeout(state.previewTimer);
  if (current.missing.length) {
    // No request for a card that can only be an error.
    $('hint').textContent = `Enter ${current.missing.join(' and ')} to see the card.`;
    $('hint').hidden = false;
    preview.hidden = true;
    preview.removeAttribute('src');
    $('preview-status').textContent = '';
    setSnippets('', '', '');
    return;
  }
  $('hint').hidden = true;
  const title = state.kind.title;
  setSnippets(
    `![${escapeMarkdown(title)}](${current.url})`,
    `<img src="${escapeHtml(current.url)}" alt="${escapeHtml(title)}">`,
    pictureSnippet(theme, title),
  );
  state.notes = current.invalid.length ? `Left out, out of range: ${current.invalid.join(', ')}.` : '';
  const show = () => {
    preview.hidden = false;
    preview.alt = `${title} preview`;
    if (preview.getAttribute('src') === current.path) return;
    $('preview-status').textContent = `Loading… ${state.notes}`;
    preview.src = current.path;
  };
  $('preview-status').textContent = state.notes;
  if (typing) state.previewTimer = setTimeout(show, TYPING_DELAY_MS);
  else show();
}

function pictureSnippet(theme, title) {
  if (!theme.dark) {
    return `${theme.name} has no dark pair, so there is no <picture> form for it. One URL can follow `
      + `the reader's light or dark mode instead: theme=${theme.name},DARK (DARK is any theme, `
      + `e.g. theme=${theme.name},dark) or theme=auto (default in light mode, dark in dark mode).`;
  }
  const light = escapeHtml(queryFor(theme.name).url);
  const dark = escapeHtml(queryFor(theme.dark).url);
  return `<picture>\n  <source media="(prefers-color-scheme: dark)" srcset="${dark}">\n`
    + `  <img src="${light}" alt="${escapeHtml(title)}">\n</picture>`;
}

async function copy(button) {
  const area = $(button.dataset.copy);
  if (!area.value) return;
  let done = false;
  try {
    await navigator.clipboard.writeText(area.value);
    done = true;
  } catch {
    // Clipboard API missing (plain http on another host) or denied: the old way still works
    // from a click.
    area.select();
    try { done = document.execCommand('copy'); } catch { done = false; }
  }
  $('copy-status').textContent = done ? 'Copied.' : 'Could not copy; the text is selected, press Ctrl+C.';
}

function wire() {
  const controls = document.querySelector('.controls');
  // Typing waits a moment before asking for a new image; everything else updates at once.
  controls.addEventListener('input', (event) => {
    if (event.target.hasAttribute('data-typing')) update(true);
  });
  controls.addEventListener('change', (event) => {
    if (event.target.id === 'kind') renderKind();
    else if (event.target.id === 'theme') syncFollowDark();
    update(false);
  });
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', () => copy(button));
  }
  const preview = $('preview');
  preview.addEventListener('load', () => { $('preview-status').textContent = state.notes; });
  preview.addEventListener('error', () => {
    if (preview.getAttribute('src')) $('preview-status').textContent = `The card could not be loaded. ${state.notes}`;
  });
}

async function start() {
  wire();
  try {
    const response = await fetch('/builder/cards.json', { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    state.spec = await response.json();
  } catch (error) {
    $('hint').textContent = `Could not load the card list (${error.message}). Reload to try again.`;
    return;
  }
  const spec = state.spec;
  fillSelect($('kind'), spec.kinds.map((k) => [k.name, k.title]), spec.kinds[0]?.name);
  fillSelect($('locale'), spec.locales.map((l) => [l.code, `${l.name} (${l.code})`]), 'en');
  renderKind();
  update(false);
}

start();
