import type {Post} from '@mattermost/types/posts';

import client, {ApiError} from 'client';
import {getLeadByChannel} from 'selectors';

import {createMessageWillBePostedHook} from './message_guard';
import {makeLead, makeStore} from './test_utils';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

function post(channelId: string, extra: Partial<Post> = {}): Post {
    return {id: '', channel_id: channelId, message: 'Hello!', type: '', user_id: 'me', ...extra} as Post;
}

const WINDOW_CLOSED = "The buyer last wrote 2 days ago and Meta's 24-hour reply window has closed. You can answer when the buyer writes again.";

beforeEach(() => {
    jest.clearAllMocks();
});

describe('MessageWillBePosted guard', () => {
    it('refuses a post in a lead channel whose reply would be blocked, with the server reason', async () => {
        const store = makeStore();
        mocked.getChannelLead.mockResolvedValue(makeLead('a', {send: {mode: 'blocked', reason: WINDOW_CLOSED}}));

        await expect(createMessageWillBePostedHook(store)(post('channel-a'))).resolves.toEqual({error: {message: WINDOW_CLOSED}});
    });

    it('asks the server fresh every time in a lead channel', async () => {
        const store = makeStore();
        const hook = createMessageWillBePostedHook(store);
        mocked.getChannelLead.mockResolvedValueOnce(makeLead('a', {send: {mode: 'blocked', reason: WINDOW_CLOSED}}));
        mocked.getChannelLead.mockResolvedValueOnce(makeLead('a', {send: {mode: 'response'}, updated_at: Date.now()}));

        await expect(hook(post('channel-a'))).resolves.toHaveProperty('error');
        const p = post('channel-a');
        await expect(hook(p)).resolves.toEqual({post: p});
        expect(mocked.getChannelLead).toHaveBeenCalledTimes(2);
    });

    it.each(['response', 'human_agent', 'private_reply'] as const)('lets a %s reply through', async (mode) => {
        const store = makeStore();
        mocked.getChannelLead.mockResolvedValue(makeLead('a', {send: {mode}}));
        const p = post('channel-a');

        await expect(createMessageWillBePostedHook(store)(p)).resolves.toEqual({post: p});
    });

    it('lets a post in a normal channel through, and does not ask about that channel twice', async () => {
        const store = makeStore();
        const hook = createMessageWillBePostedHook(store);
        mocked.getChannelLead.mockResolvedValue(null);

        const first = post('town-square');
        await expect(hook(first)).resolves.toEqual({post: first});
        const second = post('town-square');
        await expect(hook(second)).resolves.toEqual({post: second});

        expect(mocked.getChannelLead).toHaveBeenCalledTimes(1);
        expect(getLeadByChannel(store.getState(), 'town-square')).toBeNull();
    });

    it('lets the post through when the check fails: the server still enforces the rule', async () => {
        const store = makeStore();
        mocked.getChannelLead.mockRejectedValue(new ApiError('The Mattermost server could not be reached.', 0));
        const p = post('channel-a');

        await expect(createMessageWillBePostedHook(store)(p)).resolves.toEqual({post: p});
    });

    it('leaves typed posts alone, as the server does', async () => {
        const store = makeStore();
        const p = post('channel-a', {type: 'system_join_channel' as Post['type']});

        await expect(createMessageWillBePostedHook(store)(p)).resolves.toEqual({post: p});
        expect(mocked.getChannelLead).not.toHaveBeenCalled();
    });

    it('says something when the server gave no reason', async () => {
        const store = makeStore();
        mocked.getChannelLead.mockResolvedValue(makeLead('a', {send: {mode: 'blocked', reason: ''}}));

        await expect(createMessageWillBePostedHook(store)(post('channel-a'))).resolves.toEqual({error: {message: 'The server did not say why.'}});
    });
});
