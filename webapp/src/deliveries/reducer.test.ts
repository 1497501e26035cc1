import type {Delivery, DeliveryUpdatedEvent} from 'types';

import {deliveriesReceived, deliveriesReconnected, deliveryUpdated} from './actions';
import reducer, {initialDeliveriesState} from './reducer';
import type {DeliveriesState} from './reducer';

function delivery(postId: string, overrides: Partial<Delivery> = {}): Delivery {
    return {post_id: postId, lead_id: 'lead1', state: 'pending', retryable: false, attempts: 0, updated_at: 100, ...overrides};
}

function event(postId: string, overrides: Partial<DeliveryUpdatedEvent> = {}): DeliveryUpdatedEvent {
    return {post_id: postId, lead_id: 'lead1', channel_id: 'channel1', state: 'sent', retryable: false, ...overrides};
}

function reduce(...actions: Array<{type: string}>): DeliveriesState {
    return actions.reduce(reducer, initialDeliveriesState);
}

describe('deliveries reducer', () => {
    it('starts empty', () => {
        expect(reducer(undefined, {type: 'init'})).toEqual(initialDeliveriesState);
    });

    it('stores the fetched deliveries and remembers the asked posts that have none', () => {
        const state = reduce(deliveriesReceived({p1: delivery('p1')}, ['p1', 'p2']));

        expect(state.byPostId).toEqual({p1: delivery('p1')});
        expect(state.notFound).toEqual({p2: true});
    });

    it('merges an event into the known delivery: new state and reason, same attempt count, no stale retry time', () => {
        const state = reduce(
            deliveriesReceived({p1: delivery('p1', {attempts: 2, next_at: 5000, updated_at: 300})}, ['p1']),
            deliveryUpdated(event('p1', {state: 'failed', error: 'The buyer blocked the page.', retryable: true})),
        );

        expect(state.byPostId.p1).toEqual({
            post_id: 'p1',
            lead_id: 'lead1',
            state: 'failed',
            error: 'The buyer blocked the page.',
            retryable: true,
            attempts: 2,
            updated_at: 300,
        });
    });

    it('takes the attempt count, retry time and change time from an event that carries them', () => {
        const state = reduce(
            deliveriesReceived({p1: delivery('p1', {state: 'pending', attempts: 1, next_at: 5000, updated_at: 300})}, ['p1']),
            deliveryUpdated(event('p1', {state: 'pending', error: 'Meta is busy.', attempts: 2, next_at: 9000, updated_at: 400})),
        );

        expect(state.byPostId.p1).toMatchObject({state: 'pending', attempts: 2, next_at: 9000, updated_at: 400});
    });

    it('clears the reason when an event says the reply went out', () => {
        const state = reduce(
            deliveriesReceived({p1: delivery('p1', {state: 'failed', error: 'Meta was unreachable.', retryable: true})}, ['p1']),
            deliveryUpdated(event('p1', {state: 'sent', error: ''})),
        );

        expect(state.byPostId.p1.state).toBe('sent');
        expect(state.byPostId.p1).not.toHaveProperty('error');
    });

    it('creates the delivery from an event that arrives before any fetch', () => {
        const state = reduce(deliveryUpdated(event('p1', {state: 'pending'})));

        expect(state.byPostId.p1).toEqual({post_id: 'p1', lead_id: 'lead1', state: 'pending', retryable: false, attempts: 0, updated_at: 0});
    });

    it('turns a post that had no delivery into a known one when its event arrives', () => {
        const state = reduce(
            deliveriesReceived({}, ['p1']),
            deliveryUpdated(event('p1', {state: 'pending'})),
        );

        expect(state.notFound).toEqual({});
        expect(state.byPostId.p1.state).toBe('pending');
    });

    it('keeps the event when a fetch that was in flight during it answers with the older record', () => {
        const askedAt = initialDeliveriesState.revisions;
        const state = reduce(
            deliveryUpdated(event('p1', {state: 'sent'})),
            deliveriesReceived({p1: delivery('p1', {state: 'pending'}), p2: delivery('p2')}, ['p1', 'p2'], askedAt),
        );

        expect(state.byPostId.p1.state).toBe('sent');
        expect(state.byPostId.p2).toEqual(delivery('p2'));
    });

    it('keeps the event when a fetch in flight during it finds no delivery', () => {
        const state = reduce(
            deliveryUpdated(event('p1', {state: 'pending'})),
            deliveriesReceived({}, ['p1'], {}),
        );

        expect(state.byPostId.p1.state).toBe('pending');
        expect(state.notFound).toEqual({});
    });

    it('takes a fetched record asked for after the last event', () => {
        let state = reduce(deliveryUpdated(event('p1', {state: 'pending'})));
        state = reducer(state, deliveriesReceived({p1: delivery('p1', {attempts: 1, next_at: 9000})}, ['p1'], state.revisions));

        expect(state.byPostId.p1).toEqual(delivery('p1', {attempts: 1, next_at: 9000}));
    });

    it('forgets a known delivery the server no longer lists', () => {
        const state = reduce(
            deliveriesReceived({p1: delivery('p1')}, ['p1']),
            deliveriesReceived({}, ['p1']),
        );

        expect(state.byPostId).toEqual({});
        expect(state.notFound).toEqual({p1: true});
    });

    it('on reconnect forgets which posts had no delivery and keeps the known ones', () => {
        const state = reduce(
            deliveriesReceived({p1: delivery('p1')}, ['p1', 'p2']),
            deliveriesReconnected(),
        );

        expect(state.notFound).toEqual({});
        expect(state.byPostId).toEqual({p1: delivery('p1')});
    });

    it('ignores an event without a post id', () => {
        const before = reduce(deliveriesReceived({p1: delivery('p1')}, ['p1']));

        expect(reducer(before, deliveryUpdated(event('')))).toBe(before);
    });

    it('leaves the state alone for other actions', () => {
        const before = reduce(deliveriesReceived({p1: delivery('p1')}, ['p1']));

        expect(reducer(before, {type: 'social-inbox/lead_updated'})).toBe(before);
    });
});
