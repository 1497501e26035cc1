import client, {ApiError} from 'client';
import {fetchChannelLead, fetchLead, fetchQueue, leadAction, refreshLead} from 'actions';
import {ME, NOW, SETTINGS, makeLead, makeStore} from 'inbox/test_utils';
import {getLead, getLeadByChannel, getQueue} from 'selectors';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

beforeEach(() => {
    jest.clearAllMocks();
});

describe('fetchQueue', () => {
    it('stores the queue, its settings and the skew to the server clock', async () => {
        const store = makeStore();
        mocked.listLeads.mockResolvedValue({leads: [makeLead('a')], now: NOW + 3000, settings: SETTINGS});
        const clock = jest.fn().mockReturnValueOnce(NOW - 100).mockReturnValueOnce(NOW + 100);

        await fetchQueue(store.dispatch, clock);

        expect(getQueue(store.getState())).toMatchObject({ids: ['a'], loadedAt: NOW, clockSkew: 3000, loading: false});
    });

    it('asks once while a request is on its way', async () => {
        const store = makeStore();
        mocked.listLeads.mockResolvedValue({leads: [], now: NOW, settings: SETTINGS});

        await Promise.all([fetchQueue(store.dispatch), fetchQueue(store.dispatch)]);

        expect(mocked.listLeads).toHaveBeenCalledTimes(1);
    });

    it('keeps the server sentence and status of a failure', async () => {
        const store = makeStore();
        mocked.listLeads.mockRejectedValue(new ApiError('Join the queue channel to see leads.', 403));

        await fetchQueue(store.dispatch);

        expect(getQueue(store.getState())).toMatchObject({error: 'Join the queue channel to see leads.', errorStatus: 403, loading: false});
    });
});

describe('fetchLead', () => {
    it('stores the lead', async () => {
        const store = makeStore();
        mocked.getLead.mockResolvedValue(makeLead('a'));

        await expect(fetchLead(store.dispatch, 'a')).resolves.toMatchObject({id: 'a'});
        expect(getLead(store.getState(), 'a')?.id).toBe('a');
    });

    it('forgets a lead the server answers 404 for, and keeps one it could not reach', async () => {
        const store = makeStore();
        mocked.getLead.mockResolvedValueOnce(makeLead('a'));
        await fetchLead(store.dispatch, 'a');

        mocked.getLead.mockRejectedValueOnce(new ApiError('The server could not be reached.', 0));
        await expect(fetchLead(store.dispatch, 'a')).resolves.toBeNull();
        expect(getLead(store.getState(), 'a')).toBeDefined();

        mocked.getLead.mockRejectedValueOnce(new ApiError('No such lead.', 404));
        await fetchLead(store.dispatch, 'a');
        expect(getLead(store.getState(), 'a')).toBeUndefined();
    });
});

describe('refreshLead', () => {
    it('shares a request already on its way; fetchLead always asks anew', async () => {
        const store = makeStore();
        mocked.getLead.mockResolvedValue(makeLead('a'));

        await Promise.all([refreshLead(store.dispatch, 'a'), refreshLead(store.dispatch, 'a')]);
        expect(mocked.getLead).toHaveBeenCalledTimes(1);

        await Promise.all([fetchLead(store.dispatch, 'a'), fetchLead(store.dispatch, 'a')]);
        expect(mocked.getLead).toHaveBeenCalledTimes(3);
    });
});

describe('fetchChannelLead', () => {
    it('caches null for a channel that is not a lead channel', async () => {
        const store = makeStore();
        mocked.getChannelLead.mockResolvedValue(null);

        await expect(fetchChannelLead(store.dispatch, 'town-square')).resolves.toBeNull();
        expect(getLeadByChannel(store.getState(), 'town-square')).toBeNull();
    });

    it('stores the lead of a lead channel', async () => {
        const store = makeStore();
        mocked.getChannelLead.mockResolvedValue(makeLead('a'));

        await fetchChannelLead(store.dispatch, 'channel-a');
        expect(getLeadByChannel(store.getState(), 'channel-a')?.id).toBe('a');
    });

    it('treats a channel as no lead channel for a user outside the operator pool', async () => {
        const store = makeStore();
        mocked.getChannelLead.mockRejectedValue(new ApiError('Only operators can see leads.', 403));

        await expect(fetchChannelLead(store.dispatch, 'channel-a')).resolves.toBeNull();
        expect(getLeadByChannel(store.getState(), 'channel-a')).toBeNull();
    });

    it('lets a failure through, so the caller can tell it from "not a lead channel"', async () => {
        const store = makeStore();
        mocked.getChannelLead.mockRejectedValue(new ApiError('down', 500));

        await expect(fetchChannelLead(store.dispatch, 'channel-a')).rejects.toThrow('down');
        expect(getLeadByChannel(store.getState(), 'channel-a')).toBeUndefined();
    });
});

describe('leadAction', () => {
    it('stores the answer and returns the server message', async () => {
        const store = makeStore();
        const claimed = makeLead('a', {handoff: {state: 'claimed', owner_id: ME}, updated_at: NOW});
        mocked.leadAction.mockResolvedValue({lead: claimed, message: 'You claimed this lead.'});

        await expect(leadAction(store.dispatch, 'a', 'claim')).resolves.toEqual({ok: true, message: 'You claimed this lead.', lead: claimed});
        expect(mocked.leadAction).toHaveBeenCalledWith('a', 'claim', {});
        expect(getLead(store.getState(), 'a')).toBe(claimed);
    });

    it('on 409 applies the lead as it is now and returns the sentence', async () => {
        const store = makeStore();
        const now = makeLead('a', {handoff: {state: 'claimed', owner_id: 'someone'}, updated_at: NOW});
        mocked.leadAction.mockRejectedValue(new ApiError('This lead is already claimed.', 409, now));

        const outcome = await leadAction(store.dispatch, 'a', 'claim');

        expect(outcome).toEqual({ok: false, message: 'This lead is already claimed.', status: 409, lead: now});
        expect(getLead(store.getState(), 'a')).toBe(now);
    });

    it('passes the body (review reason, transfer target)', async () => {
        const store = makeStore();
        mocked.leadAction.mockResolvedValue({lead: makeLead('a'), message: 'ok'});

        await leadAction(store.dispatch, 'a', 'transfer', {to_user_id: 'u2'});
        expect(mocked.leadAction).toHaveBeenCalledWith('a', 'transfer', {to_user_id: 'u2'});
    });
});
