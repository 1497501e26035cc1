import client, {ApiError} from 'client';
import type {Delivery} from 'types';

import {deliveriesReceived} from './actions';
import {BATCH_DELAY_MS, DeliveryLoader, MAX_IDS_PER_REQUEST, getDeliveryLoader, requestDelivery} from './loader';
import {getDelivery, isDeliveryNotFound} from './selectors';
import {makeStore} from './test_store';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const getDeliveries = client.getDeliveries as jest.MockedFunction<typeof client.getDeliveries>;

function delivery(postId: string, overrides: Partial<Delivery> = {}): Delivery {
    return {post_id: postId, lead_id: 'lead1', state: 'sent', retryable: false, attempts: 1, updated_at: 100, ...overrides};
}

// Answers like the server: a delivery for every asked id that starts with "reply".
function answerReplies() {
    getDeliveries.mockImplementation(async (ids) => Object.fromEntries(ids.filter((id) => id.startsWith('reply')).map((id) => [id, delivery(id)])));
}

beforeEach(() => {
    getDeliveries.mockReset();
    answerReplies();
});

describe('delivery loader', () => {
    it('sends one request for the posts asked in the same moment', async () => {
        const store = makeStore();

        for (const id of ['reply1', 'reply2', 'reply3', 'note1']) {
            requestDelivery(store, id);
        }
        await getDeliveryLoader(store).flush();

        expect(getDeliveries).toHaveBeenCalledTimes(1);
        expect(getDeliveries).toHaveBeenCalledWith(['reply1', 'reply2', 'reply3', 'note1']);
        expect(getDelivery(store.getState(), 'reply2')).toEqual(delivery('reply2'));
        expect(isDeliveryNotFound(store.getState(), 'note1')).toBe(true);
    });

    it('waits for the batch delay before asking', async () => {
        jest.useFakeTimers();
        try {
            const store = makeStore();
            requestDelivery(store, 'reply1');
            jest.advanceTimersByTime(BATCH_DELAY_MS - 1);
            requestDelivery(store, 'reply2');
            expect(getDeliveries).not.toHaveBeenCalled();

            jest.advanceTimersByTime(1);

            expect(getDeliveries).toHaveBeenCalledTimes(1);
            expect(getDeliveries).toHaveBeenCalledWith(['reply1', 'reply2']);
        } finally {
            jest.useRealTimers();
        }
    });

    it('does not ask again about posts it knows, with or without a delivery', async () => {
        const store = makeStore();
        requestDelivery(store, 'reply1');
        requestDelivery(store, 'note1');
        await getDeliveryLoader(store).flush();

        requestDelivery(store, 'reply1');
        requestDelivery(store, 'note1');
        await getDeliveryLoader(store).flush();

        expect(getDeliveries).toHaveBeenCalledTimes(1);
    });

    it('does not ask about a post whose delivery came by event', async () => {
        const store = makeStore({deliveries: {byPostId: {reply1: delivery('reply1')}}});

        requestDelivery(store, 'reply1');
        await getDeliveryLoader(store).flush();

        expect(getDeliveries).not.toHaveBeenCalled();
    });

    it('does not ask twice about a post while its request is in flight', async () => {
        const store = makeStore();
        let answer: (value: Record<string, Delivery>) => void = () => undefined;
        getDeliveries.mockImplementationOnce(() => new Promise((resolve) => {
            answer = resolve;
        }));
        const loader = getDeliveryLoader(store);

        loader.request('reply1');
        const first = loader.flush();
        loader.request('reply1');
        await Promise.resolve();
        answer({reply1: delivery('reply1')});
        await first;
        await loader.flush();

        expect(getDeliveries).toHaveBeenCalledTimes(1);
    });

    it(`splits more than ${MAX_IDS_PER_REQUEST} posts into requests of at most ${MAX_IDS_PER_REQUEST}`, async () => {
        const store = makeStore();
        const ids = Array.from({length: 250}, (_, i) => `reply${i}`);

        for (const id of ids) {
            requestDelivery(store, id);
        }
        await getDeliveryLoader(store).flush();

        expect(getDeliveries.mock.calls.map(([asked]) => asked.length)).toEqual([100, 100, 50]);
        expect(getDeliveries.mock.calls.flatMap(([asked]) => asked)).toEqual(ids);
        expect(ids.every((id) => getDelivery(store.getState(), id))).toBe(true);
    });

    it('asks again after a failed request instead of taking the failure for "no delivery"', async () => {
        const store = makeStore();
        const loader = getDeliveryLoader(store);
        getDeliveries.mockRejectedValueOnce(new ApiError('The Mattermost server could not be reached. Check your connection and try again.', 0));

        loader.request('reply1');
        await loader.flush();

        expect(isDeliveryNotFound(store.getState(), 'reply1')).toBe(false);
        expect(loader.failedIds).toEqual(['reply1']);

        loader.request('reply1');
        await loader.flush();

        expect(getDeliveries).toHaveBeenCalledTimes(2);
        expect(getDelivery(store.getState(), 'reply1')).toEqual(delivery('reply1'));
        expect(loader.failedIds).toEqual([]);
    });

    it('refresh asks again about posts it already knows', async () => {
        const store = makeStore();
        store.dispatch(deliveriesReceived({reply1: delivery('reply1', {state: 'pending'})}, ['reply1']));
        const loader = getDeliveryLoader(store);

        loader.refresh(['reply1']);
        await loader.flush();

        expect(getDeliveries).toHaveBeenCalledWith(['reply1']);
        expect(getDelivery(store.getState(), 'reply1')?.state).toBe('sent');
    });

    it('keeps one loader per store', () => {
        const store = makeStore();

        expect(getDeliveryLoader(store)).toBe(getDeliveryLoader(store));
        expect(getDeliveryLoader(makeStore())).not.toBe(getDeliveryLoader(store));
        expect(getDeliveryLoader(store)).toBeInstanceOf(DeliveryLoader);
    });
});
