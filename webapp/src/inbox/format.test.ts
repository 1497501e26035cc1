import {formatAgo, formatCountdown, formatDuration, formatLeft, initials, platformLabel} from './format';
import {DAY, HOUR, MINUTE} from './risk';
import {NOW} from './test_utils';

describe('formatDuration', () => {
    it.each([
        [0, '<1m'],
        [59 * 1000, '<1m'],
        [MINUTE, '1m'],
        [45 * MINUTE, '45m'],
        [HOUR - 1, '59m'],
        [HOUR, '1h'],
        [(3 * HOUR) + (12 * MINUTE), '3h 12m'],
        [(3 * HOUR) + (12 * MINUTE) + 59999, '3h 12m'],
        [DAY, '1d'],
        [(3 * DAY) + (4 * HOUR) + (30 * MINUTE), '3d 4h'],
        [-5 * MINUTE, '<1m'],
    ])('%d ms is "%s"', (ms, text) => {
        expect(formatDuration(ms)).toBe(text);
    });
});

describe('formatLeft', () => {
    it.each([
        [(3 * HOUR) + (12 * MINUTE), '3h 12m left'],
        [45 * MINUTE, '45m left'],
        [3 * DAY, '3d left'],
        [1, '<1m left'],
    ])('%d ms before the end: "%s"', (ms, text) => {
        expect(formatLeft(NOW + ms, NOW)).toBe(text);
    });
});

describe('formatAgo', () => {
    it.each([
        [0, 'just now'],
        [MINUTE - 1, 'just now'],
        [MINUTE, '1m ago'],
        [5 * MINUTE, '5m ago'],
        [(2 * HOUR) + (59 * MINUTE), '2h ago'],
        [DAY + HOUR, '1d ago'],
        [-MINUTE, 'just now'],
    ])('%d ms ago: "%s"', (ms, text) => {
        expect(formatAgo(NOW - ms, NOW)).toBe(text);
    });
});

describe('formatCountdown', () => {
    it.each([
        ['an open window', {kind: 'standard', until: NOW + (5 * HOUR) + (10 * MINUTE)} as const, '5h 10m left'],
        ['1 ms before the end', {kind: 'standard', until: NOW + 1} as const, '<1m left'],
        ['a window that closed just now', {kind: 'closed', closedAt: NOW} as const, 'closed just now'],
        ['a window that closed 2 hours ago', {kind: 'closed', closedAt: NOW - (2 * HOUR)} as const, 'closed 2h ago'],
        ['no window ever', {kind: 'closed'} as const, 'closed'],
    ])('%s', (_name, phase, text) => {
        expect(formatCountdown(phase, NOW)).toBe(text);
    });
});

describe('platformLabel and initials', () => {
    it('names the platforms as buyers know them', () => {
        expect(platformLabel('facebook')).toBe('Messenger');
        expect(platformLabel('instagram')).toBe('Instagram');
    });

    it.each([
        ['Ana Souza', 'AS'],
        ['ana maria de souza', 'AS'],
        ['Zoë', 'Z'],
        ['  ', '?'],
    ])('initials of "%s" are %s', (name, text) => {
        expect(initials(name)).toBe(text);
    });
});
