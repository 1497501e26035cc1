import client from 'client';
import type {Delivery, DeliveryUpdatedEvent} from 'types';
import type {PluginWebSocketMessage} from 'types/mattermost-webapp';

import {deliveriesReceived, deliveryUpdated} from './actions';
import {getDeliveryLoader} from './loader';
import {getDelivery, isDeliveryNotFound} from './selectors';
import {LEAD_CHANNEL_ID, makeStore} from './test_store';
import {DELIVERY_UPDATED_EVENT, handleDeliveryUpdated, refetchKnownDeliveries} from './websocket';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const getDeliveries = client.getDeliveries as jest.MockedFunction<typeof client.getDeliveries>;

function delivery(postId: string, overrides: Partial<Delivery> = {}): Delivery {
    return {post_id: postId, lead_id: 'lead1', state: 'pending', retryable: false, attempts: 0, updated_at: 100, ...overrides};
}

function message(data: Partial<DeliveryUpdatedEvent>): PluginWebSocketMessage<DeliveryUpdatedEvent> {
    return {
        event: DELIVERY_UPDATED_EVENT,
        data: {post_id: 'reply1', lead_id: 'lead1', channel_id: LEAD_CHANNEL_ID, state: 'sent', retryable: false, ...data},
        broadcast: {omit_users: {}, user_id: '', channel_id: LEAD_CHANNEL_ID, team_id: ''},
        seq: 7,
    };
}

beforeEach(() => {
    getDeliveries.mockReset();
    getDeliveries.mockImplementation(async (ids) => Object.fromEntries(ids.map((id) => [id, delivery(id, {state: 'sent', attempts: 1})])));
});

describe('delivery websocket handlers', () => {
    it('listen to the server event as Mattermost prefixes it for plugins', () => {
        expect(DELIVERY_UPDATED_EVENT).toBe('custom_social-inbox_delivery_updated');
    });

    it('dispatch the event into the store', () => {
        const store = makeStore();
        const dispatch = jest.spyOn(store, 'dispatch');
        const msg = message({state: 'failed', error: 'The buyer blocked the page.'});

        handleDeliveryUpdated(store)(msg);

        expect(dispatch).toHaveBeenCalledWith(deliveryUpdated(msg.data));
        expect(getDelivery(store.getState(), 'reply1')).toMatchObject({state: 'failed', error: 'The buyer blocked the page.'});
    });

    it('ignore an event without a post id', () => {
        const store = makeStore();
        const dispatch = jest.spyOn(store, 'dispatch');

        handleDeliveryUpdated(store)(message({post_id: ''}));

        expect(dispatch).not.toHaveBeenCalled();
    });

    it('need no request for a state change the event describes in full', async () => {
        const store = makeStore();
        store.dispatch(deliveriesReceived({reply1: delivery('reply1')}, ['reply1']));

        handleDeliveryUpdated(store)(message({state: 'sent'}));
        await getDeliveryLoader(store).flush();

        expect(getDeliveries).not.toHaveBeenCalled();
    });

    it('fetch the record when a pending reply is pending again and the event (from an older server) has no try time', async () => {
        const store = makeStore();
        store.dispatch(deliveriesReceived({reply1: delivery('reply1')}, ['reply1']));
        getDeliveries.mockResolvedValueOnce({reply1: delivery('reply1', {attempts: 1, next_at: 9_000_000_000_000})});

        handleDeliveryUpdated(store)(message({state: 'pending'}));
        await getDeliveryLoader(store).flush();

        expect(getDeliveries).toHaveBeenCalledWith(['reply1']);
        expect(getDelivery(store.getState(), 'reply1')).toMatchObject({attempts: 1, next_at: 9_000_000_000_000});
    });

    it('need no request when a pending-again event carries the attempt count and the next try time', async () => {
        const store = makeStore();
        store.dispatch(deliveriesReceived({reply1: delivery('reply1')}, ['reply1']));

        handleDeliveryUpdated(store)(message({state: 'pending', attempts: 1, next_at: 9_000_000_000_000}));
        await getDeliveryLoader(store).flush();

        expect(getDeliveries).not.toHaveBeenCalled();
        expect(getDelivery(store.getState(), 'reply1')).toMatchObject({attempts: 1, next_at: 9_000_000_000_000});
    });

    it('refetch on reconnect the deliveries that can still change and the posts whose request failed', async () => {
        const store = makeStore();
        store.dispatch(deliveriesReceived({
            pending1: delivery('pending1'),
            unknown1: delivery('unknown1', {state: 'unknown'}),
            failed1: delivery('failed1', {state: 'failed', retryable: true}),
            sent1: delivery('sent1', {state: 'sent'}),
            canceled1: delivery('canceled1', {state: 'canceled'}),
        }, ['pending1', 'unknown1', 'failed1', 'sent1', 'canceled1', 'note1']));
        const loader = getDeliveryLoader(store);
        getDeliveries.mockRejectedValueOnce(new Error('offline'));
        loader.request('lost1');
        await loader.flush();
        getDeliveries.mockClear();

        refetchKnownDeliveries(store);
        await loader.flush();

        expect(getDeliveries).toHaveBeenCalledTimes(1);
        expect([...getDeliveries.mock.calls[0][0]].sort()).toEqual(['failed1', 'lost1', 'pending1', 'unknown1']);
        expect(getDelivery(store.getState(), 'pending1')?.state).toBe('sent');

        // A post the server had no delivery for is asked again by the component showing it.
        expect(isDeliveryNotFound(store.getState(), 'note1')).toBe(false);
    });
});
