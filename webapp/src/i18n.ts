// Every user-visible string goes through t() so the catalogue in i18n/en.json is the one
// place to review or translate copy. English is the only locale so far; a message
// missing from the catalogue shows its id, which makes the gap visible in the UI.

import en from './i18n/en.json';

export type MessageId = keyof typeof en;

const catalogue: Readonly<Record<MessageId, string>> = en;

const placeholder = /\{(\w+)\}/g;

// Splits a message into literal text and the values of its {name} placeholders, so a
// caller can interpolate React nodes (a <code> element, a link) without building HTML.
// Placeholders without a value are left as written.
export function formatParts<T>(id: MessageId, values: Readonly<Record<string, T>> = {}): Array<string | T> {
    const template = catalogue[id] ?? id;
    const parts: Array<string | T> = [];
    let rest = 0;
    for (const match of template.matchAll(placeholder)) {
        const [token, name] = match;
        if (!Object.hasOwn(values, name)) {
            continue;
        }
        if (match.index > rest) {
            parts.push(template.slice(rest, match.index));
        }
        parts.push(values[name]);
        rest = match.index + token.length;
    }
    if (rest < template.length) {
        parts.push(template.slice(rest));
    }
    return parts;
}

export function t(id: MessageId, values?: Readonly<Record<string, string | number>>): string {
    return formatParts(id, values).join('');
}
