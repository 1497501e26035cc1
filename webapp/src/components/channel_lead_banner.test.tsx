import {act, screen} from '@testing-library/react';
import React from 'react';

import client from 'client';
import {HOUR, MINUTE} from 'inbox/risk';
import {NOW, OTHER, SET_CHANNEL, makeLead, makeStore, renderWithStore} from 'inbox/test_utils';

import ChannelLeadBanner from './channel_lead_banner';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

async function flush(ms = 0) {
    await act(async () => {
        await jest.advanceTimersByTimeAsync(ms);
    });
}

beforeEach(() => {
    jest.clearAllMocks();
    jest.useFakeTimers({now: NOW});
});

afterEach(() => {
    jest.useRealTimers();
});

describe('ChannelLeadBanner', () => {
    it('sums up the lead of a lead channel on one line', async () => {
        mocked.getChannelLead.mockResolvedValue(makeLead('a', {
            platform: 'instagram',
            contact: {name: 'Ana Souza'},
            handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'},
            window: {standard_until: NOW + (3 * HOUR) + (12 * MINUTE)},
        }));
        renderWithStore(<ChannelLeadBanner/>, makeStore({channelId: 'channel-a'}));
        await flush();

        const banner = screen.getByRole('region', {name: 'Lead: Ana Souza'});
        expect(banner).toHaveTextContent('Ana Souza');
        expect(banner).toHaveTextContent('Instagram');
        expect(banner).toHaveTextContent('@olivia');
        expect(screen.getByTestId('window-countdown')).toHaveTextContent('3h 12m left');
        expect(banner).not.toHaveTextContent('Replies blocked');
    });

    it('says why replies are blocked', async () => {
        mocked.getChannelLead.mockResolvedValue(makeLead('a', {
            handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'},
            send: {mode: 'blocked', reason: 'This lead is claimed by someone else.'},
        }));
        renderWithStore(<ChannelLeadBanner/>, makeStore({channelId: 'channel-a'}));
        await flush();

        expect(screen.getByTestId('lead-banner')).toHaveTextContent('Replies blocked: This lead is claimed by someone else.');
    });

    it('shows nothing in a channel that is not a lead channel', async () => {
        mocked.getChannelLead.mockResolvedValue(null);
        const {container} = renderWithStore(<ChannelLeadBanner/>, makeStore({channelId: 'town-square'}));
        await flush();

        expect(container).toBeEmptyDOMElement();
    });

    it('fetches the lead when the current channel changes, and not again for a known normal channel', async () => {
        const store = makeStore({channelId: 'town-square'});
        mocked.getChannelLead.mockImplementation(async (channelId) => (channelId === 'channel-b' ? makeLead('b', {contact: {name: 'Bruno'}}) : null));
        renderWithStore(<ChannelLeadBanner/>, store);
        await flush();

        act(() => {
            store.dispatch({type: SET_CHANNEL, channelId: 'channel-b'});
        });
        await flush();
        expect(screen.getByTestId('lead-banner')).toHaveTextContent('Bruno');

        act(() => {
            store.dispatch({type: SET_CHANNEL, channelId: 'town-square'});
        });
        await flush();
        expect(screen.queryByTestId('lead-banner')).not.toBeInTheDocument();

        expect(mocked.getChannelLead.mock.calls.map(([id]) => id)).toEqual(['town-square', 'channel-b']);
    });

    it('asks the server again when its decision about sending runs out', async () => {
        const until = NOW + (10 * MINUTE);
        mocked.getChannelLead.mockResolvedValue(makeLead('a', {window: {standard_until: until}, send: {mode: 'response', until}}));
        mocked.getLead.mockResolvedValue(makeLead('a', {window: {standard_until: until}, send: {mode: 'blocked', until: 0, reason: 'The window has closed.'}, updated_at: NOW + 1}));
        renderWithStore(<ChannelLeadBanner/>, makeStore({channelId: 'channel-a'}));
        await flush();
        expect(mocked.getLead).not.toHaveBeenCalled();

        await flush((10 * MINUTE) + 1000);

        expect(mocked.getLead).toHaveBeenCalledWith('a');
        expect(screen.getByTestId('lead-banner')).toHaveTextContent('Replies blocked: The window has closed.');
    });
});
