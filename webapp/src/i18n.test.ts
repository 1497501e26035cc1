import en from 'i18n/en.json';
import {formatParts, t} from 'i18n';

describe('i18n', () => {
    it('returns the English message for an id', () => {
        expect(t('inbox_panel.heading')).toBe('Social Inbox');
    });

    it('fills placeholders with the given values', () => {
        expect(t('inbox_panel.help', {command: '/social help'})).toBe(en['inbox_panel.help'].replace('{command}', '/social help'));
    });

    it('splits a message around non-string values so they can be React nodes', () => {
        const node = {kind: 'node'};

        expect(formatParts('inbox_panel.help', {command: node})).toEqual([
            'Type ',
            node,
            ' in any channel to see what you can do.',
        ]);
    });

    it('leaves a placeholder without a value visible', () => {
        expect(t('inbox_panel.help')).toBe(en['inbox_panel.help']);
    });
});
