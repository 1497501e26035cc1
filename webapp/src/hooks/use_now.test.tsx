import {act, screen} from '@testing-library/react';
import React from 'react';

import {queueReceived} from 'actions';
import {NOW, SETTINGS, makeStore, renderWithStore} from 'inbox/test_utils';

import {useNow} from './use_now';

function Clock({interval}: {interval?: number}) {
    const now = useNow(interval);
    return <span data-testid='now'>{now}</span>;
}

const shown = () => Number(screen.getByTestId('now').textContent);

beforeEach(() => {
    jest.useFakeTimers({now: NOW});
});

afterEach(() => {
    jest.useRealTimers();
});

describe('useNow', () => {
    it('ticks every interval', () => {
        renderWithStore(<Clock interval={1000}/>);
        expect(shown()).toBe(NOW);

        act(() => {
            jest.advanceTimersByTime(1000);
        });
        expect(shown()).toBe(NOW + 1000);

        act(() => {
            jest.advanceTimersByTime(60_000);
        });
        expect(shown()).toBe(NOW + 61_000);
    });

    it('does not move between ticks', () => {
        renderWithStore(<Clock interval={30_000}/>);
        act(() => {
            jest.advanceTimersByTime(29_999);
        });
        expect(shown()).toBe(NOW);
    });

    it('follows the server clock measured on the last queue fetch', () => {
        const store = makeStore();
        renderWithStore(<Clock/>, store);

        act(() => {
            store.dispatch(queueReceived({leads: [], now: NOW + 90_000, settings: SETTINGS}, NOW));
        });
        expect(shown()).toBe(NOW + 90_000);
    });

    it('stops its timer when unmounted', () => {
        const {unmount} = renderWithStore(<Clock/>);
        unmount();
        expect(jest.getTimerCount()).toBe(0);
    });
});
