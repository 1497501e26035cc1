import {act, fireEvent, screen, within} from '@testing-library/react';
import React from 'react';

import client, {ApiError} from 'client';
import {websocketReconnected} from 'actions';
import {HOUR, MINUTE} from 'inbox/risk';
import {ME, NOW, OTHER, SETTINGS, makeLead, makeStore, renderWithStore} from 'inbox/test_utils';
import type {LeadView} from 'types';
import type {PluginStore} from 'types/mattermost-webapp';
import {LEAD_UPDATED_EVENT, LEAD_UPDATE_COALESCE_MS, handleLeadUpdated} from 'websocket';

import InboxPanel from './inbox_panel';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

// Buyers waiting for minutes, with their 24-hour window closing at different times.
function waiting(id: string, minutesAgo: number, closesInMinutes: number, overrides: Parameters<typeof makeLead>[1] = {}): LeadView {
    return makeLead(id, {
        ...overrides,
        contact: {name: `Buyer ${id}`, ...overrides.contact},
        window: {last_customer_at: NOW - (minutesAgo * MINUTE), standard_until: NOW + (closesInMinutes * MINUTE), human_agent_enabled: false, ...overrides.window},
    });
}

const QUEUE = [
    waiting('calm', 2, 23 * 60),
    waiting('closing', 5, 30),
    waiting('mine', 3, 20 * 60, {handoff: {state: 'claimed', owner_id: ME, owner_username: 'me'}}),
    waiting('theirs', 1, 22 * 60, {handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'}}),
    waiting('review', 1, 21 * 60, {handoff: {under_review: true, review_reason: 'Asked for a refund by card'}}),
];

async function flush(ms = 0) {
    await act(async () => {
        await jest.advanceTimersByTimeAsync(ms);
    });
}

async function renderPanel(leads: LeadView[] = QUEUE, store = makeStore()) {
    mocked.listLeads.mockResolvedValue({leads, now: NOW, settings: SETTINGS});
    mocked.getChannelLead.mockResolvedValue(null);
    const result = renderWithStore(<InboxPanel/>, store);
    await flush();
    return result;
}

// Moves the clock on by `ms` and lets the panel's one-second clock tick once, instead of
// rendering every second of a long span.
async function jump(ms: number) {
    jest.setSystemTime(Date.now() + ms - 1000);
    await flush(1000);
}

const rowNames = () => screen.queryAllByTestId('lead-row').map((row) => row.getAttribute('data-lead-id'));

function selectTab(name: RegExp) {
    fireEvent.click(screen.getByRole('tab', {name}));
}

beforeEach(() => {
    jest.clearAllMocks();
    jest.useFakeTimers({now: NOW});
    delete window.WebappUtils;
});

afterEach(() => {
    jest.useRealTimers();
});

describe('InboxPanel', () => {
    it('is a region labelled by its "Social Inbox" heading', async () => {
        await renderPanel();

        const heading = screen.getByRole('heading', {level: 2, name: 'Social Inbox'});
        expect(screen.getByRole('region', {name: 'Social Inbox'})).toContainElement(heading);
    });

    it('fetches the queue when it opens and shows that it is loading', async () => {
        let answer: (list: {leads: LeadView[]; now: number; settings: typeof SETTINGS}) => void = () => undefined;
        mocked.listLeads.mockReturnValue(new Promise((resolve) => {
            answer = resolve;
        }));
        mocked.getChannelLead.mockResolvedValue(null);
        renderWithStore(<InboxPanel/>);

        expect(mocked.listLeads).toHaveBeenCalledTimes(1);
        expect(screen.getByRole('status')).toHaveTextContent('Loading leads…');

        await act(async () => {
            answer({leads: [waiting('a', 1, 600)], now: NOW, settings: SETTINGS});
        });
        expect(screen.queryByText('Loading leads…')).not.toBeInTheDocument();
        expect(rowNames()).toEqual(['a']);
    });

    it('counts the leads of each tab in its label', async () => {
        await renderPanel();

        expect(screen.getAllByRole('tab').map((tab) => tab.textContent)).toEqual([
            'Unclaimed (2)',
            'Mine (1)',
            'All open (5)',
            'At risk (2)',
        ]);
        expect(screen.getByRole('tab', {name: 'Unclaimed (2)'})).toHaveAttribute('aria-selected', 'true');
    });

    it('sorts by risk: the window closing soonest, then the buyer waiting longest', async () => {
        await renderPanel();

        selectTab(/All open/);
        // At risk first (the window closing in 30 minutes, then the lead under review,
        // whose window closes in 21 hours), then the windows closing in 20, 22 and 23 hours.
        expect(rowNames()).toEqual(['closing', 'review', 'mine', 'theirs', 'calm']);
    });

    it.each([
        [/Unclaimed/, ['closing', 'calm']],
        [/Mine/, ['mine']],
        [/All open/, ['closing', 'review', 'mine', 'theirs', 'calm']],
        [/At risk/, ['closing', 'review']],
    ])('the %s tab shows %j', async (tab, ids) => {
        await renderPanel();

        selectTab(tab);
        expect(rowNames()).toEqual(ids);
    });

    it('moves between tabs with the arrow keys, Home and End', async () => {
        await renderPanel();
        const first = screen.getByRole('tab', {name: /Unclaimed/});
        first.focus();

        fireEvent.keyDown(first, {key: 'ArrowRight'});
        expect(screen.getByRole('tab', {name: /Mine/})).toHaveAttribute('aria-selected', 'true');
        expect(screen.getByRole('tab', {name: /Mine/})).toHaveFocus();
        expect(screen.getByRole('tab', {name: /Unclaimed/})).toHaveAttribute('tabindex', '-1');

        fireEvent.keyDown(document.activeElement as Element, {key: 'End'});
        expect(screen.getByRole('tab', {name: /At risk/})).toHaveFocus();

        fireEvent.keyDown(document.activeElement as Element, {key: 'ArrowRight'});
        expect(screen.getByRole('tab', {name: /Unclaimed/})).toHaveFocus();

        fireEvent.keyDown(document.activeElement as Element, {key: 'ArrowLeft'});
        expect(screen.getByRole('tab', {name: /At risk/})).toHaveAttribute('aria-selected', 'true');

        fireEvent.keyDown(document.activeElement as Element, {key: 'Home'});
        expect(screen.getByRole('tab', {name: /Unclaimed/})).toHaveFocus();
        expect(screen.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', screen.getByRole('tab', {name: /Unclaimed/}).id);
    });

    it('shows each row: platform, name, excerpt, time since the buyer wrote, window and owner', async () => {
        await renderPanel([
            waiting('ig', 5, 3 * 60 + 12, {platform: 'instagram', contact: {name: 'Ana Souza', avatar_url: 'https://cdn.example.com/ana.jpg'}, last_excerpt: 'Is the blue one still available?'}),
        ]);

        const row = screen.getByTestId('lead-row');
        expect(within(row).getByRole('img', {name: 'Instagram'})).toBeInTheDocument();
        expect(row.querySelector('img')).toHaveAttribute('src', 'https://cdn.example.com/ana.jpg');
        expect(row).toHaveTextContent('Ana Souza');
        expect(row).toHaveTextContent('Is the blue one still available?');
        expect(row).toHaveTextContent('5m ago');
        expect(within(row).getByTestId('window-countdown')).toHaveTextContent('3h 12m left');
        expect(row).toHaveTextContent('Unclaimed');
        expect(within(row).getByRole('button', {name: 'Claim the lead of Ana Souza'})).toBeEnabled();
    });

    it('shows initials without a picture, and the owner of a claimed lead', async () => {
        await renderPanel([waiting('x', 5, 600, {contact: {name: 'Bruno Lima'}, handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'}})]);
        selectTab(/All open/);

        const row = screen.getByTestId('lead-row');
        expect(row).toHaveTextContent('BL');
        expect(row).toHaveTextContent('@olivia');
        expect(within(row).queryByRole('button')).not.toBeInTheDocument();
    });

    it('counts down and changes colour as time passes', async () => {
        await renderPanel([waiting('a', 1, (2 * 60) + 1)]);
        const countdown = () => screen.getByTestId('window-countdown');

        expect(countdown()).toHaveTextContent('2h 1m left');
        expect(countdown()).toHaveAttribute('data-level', 'ok');

        await jump(2 * MINUTE);
        expect(countdown()).toHaveTextContent('1h 59m left');
        expect(countdown()).toHaveAttribute('data-level', 'warning');

        await jump((1 * HOUR) + (45 * MINUTE));
        expect(countdown()).toHaveTextContent('14m left');
        expect(countdown()).toHaveAttribute('data-level', 'critical');

        await jump((13 * MINUTE) + 30_000);
        expect(countdown()).toHaveTextContent('<1m left');
        expect(countdown()).toHaveAttribute('data-level', 'critical');

        // Exactly at the end of the window.
        await jump(30_000);
        expect(countdown()).toHaveTextContent('closed just now');
        expect(countdown()).toHaveAttribute('data-level', 'expired');
    });

    it('updates a row from a lead_updated event without a refresh', async () => {
        const store = makeStore();
        await renderPanel([waiting('a', 1, 600)], store);
        selectTab(/All open/);
        expect(screen.getByTestId('lead-row')).toHaveTextContent('Unclaimed');

        mocked.getLead.mockResolvedValue(waiting('a', 1, 600, {handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'}, updated_at: NOW + 1}));
        act(() => {
            handleLeadUpdated(store as PluginStore)({
                event: LEAD_UPDATED_EVENT,
                data: {lead_id: 'a', channel_id: 'channel-a'},
                broadcast: {omit_users: {}, user_id: '', channel_id: 'channel-a', team_id: ''},
                seq: 1,
            });
        });
        await flush(LEAD_UPDATE_COALESCE_MS);

        expect(screen.getByTestId('lead-row')).toHaveTextContent('@olivia');
        expect(mocked.listLeads).toHaveBeenCalledTimes(1);
    });

    it('fetches the queue again after a reconnect', async () => {
        const store = makeStore();
        await renderPanel([waiting('a', 1, 600)], store);
        expect(rowNames()).toEqual(['a']);

        mocked.listLeads.mockResolvedValue({leads: [waiting('a', 1, 600), waiting('b', 2, 600)], now: NOW, settings: SETTINGS});
        act(() => {
            store.dispatch(websocketReconnected(NOW + 1));
        });
        await flush();

        expect(mocked.listLeads).toHaveBeenCalledTimes(2);
        expect(rowNames()).toEqual(['b', 'a']);
    });

    it.each([
        [/Unclaimed/, 'No unclaimed leads. New buyer messages appear here.'],
        [/Mine/, 'You have no claimed leads. Claim one from Unclaimed.'],
        [/All open/, 'No open leads. New buyer messages appear here.'],
        [/At risk/, 'No leads at risk. A lead shows here when its reply window is about to close or its buyer has waited too long.'],
    ])('says when the %s tab is empty', async (tab, text) => {
        await renderPanel([]);

        selectTab(tab);
        expect(screen.getByText(text)).toBeInTheDocument();
        expect(screen.queryAllByTestId('lead-row')).toHaveLength(0);
    });

    it('shows the server sentence when the queue cannot be fetched, and retries', async () => {
        mocked.listLeads.mockRejectedValueOnce(new ApiError('The inbox could not be read. Try again in a moment.', 500));
        mocked.getChannelLead.mockResolvedValue(null);
        renderWithStore(<InboxPanel/>);
        await flush();

        const alert = screen.getByRole('alert');
        expect(alert).toHaveTextContent('The inbox could not be read. Try again in a moment.');

        mocked.listLeads.mockResolvedValue({leads: [waiting('a', 1, 600)], now: NOW, settings: SETTINGS});
        fireEvent.click(within(alert).getByRole('button', {name: 'Retry'}));
        await flush();

        expect(screen.queryByRole('alert')).not.toBeInTheDocument();
        expect(rowNames()).toEqual(['a']);
    });

    it('explains how to join the operator pool on 403', async () => {
        mocked.listLeads.mockRejectedValue(new ApiError('Only operators can see the inbox. Ask an admin to add you to ~social-inbox-queue.', 403));
        mocked.getChannelLead.mockResolvedValue(null);
        renderWithStore(<InboxPanel/>);
        await flush();

        const alert = screen.getByRole('alert');
        expect(alert).toHaveTextContent('You are not in the operator pool');
        expect(alert).toHaveTextContent('Only operators can see the inbox. Ask an admin to add you to ~social-inbox-queue.');
        expect(alert).toHaveTextContent('the members of the queue channel');
        expect(screen.queryAllByTestId('lead-row')).toHaveLength(0);
    });

    it('claims a lead through the client', async () => {
        await renderPanel([waiting('a', 1, 600)]);
        let answer: (value: {lead: LeadView; message: string}) => void = () => undefined;
        mocked.leadAction.mockReturnValue(new Promise((resolve) => {
            answer = resolve;
        }));

        fireEvent.click(screen.getByRole('button', {name: /Claim/}));
        expect(mocked.leadAction).toHaveBeenCalledWith('a', 'claim', {});
        expect(screen.getByRole('button', {name: /Claim/})).toBeDisabled();

        await act(async () => {
            answer({lead: waiting('a', 1, 600, {handoff: {state: 'claimed', owner_id: ME}, updated_at: NOW + 1}), message: 'You claimed this lead.'});
        });

        // Claimed, the lead left the Unclaimed tab; the result is still said.
        expect(rowNames()).toEqual([]);
        expect(screen.getByRole('status')).toHaveTextContent('You claimed this lead.');
        expect(screen.getByRole('tab', {name: 'Mine (1)'})).toBeInTheDocument();
    });

    it('shows the 409 sentence on the row and the lead as it is now', async () => {
        await renderPanel([waiting('a', 1, 600), waiting('b', 2, 600)]);
        selectTab(/All open/);
        mocked.leadAction.mockRejectedValue(new ApiError('This lead is already claimed.', 409, waiting('a', 1, 600, {handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'}, updated_at: NOW + 1})));

        fireEvent.click(screen.getByRole('button', {name: 'Claim the lead of Buyer a'}));
        await flush();

        const row = screen.getAllByTestId('lead-row').find((r) => r.getAttribute('data-lead-id') === 'a') as HTMLElement;
        expect(within(row).getByRole('status')).toHaveTextContent('This lead is already claimed.');
        expect(row).toHaveTextContent('@olivia');
        expect(within(row).queryByRole('button')).not.toBeInTheDocument();
    });

    it('opens the lead channel through the host router', async () => {
        const push = jest.fn();
        window.WebappUtils = {browserHistory: {push}};
        await renderPanel([waiting('a', 1, 600)]);

        const link = screen.getByRole('link', {name: /Buyer a/});
        expect(link).toHaveAttribute('href', 'http://mm.example.com/sales/channels/lead-a');
        fireEvent.click(link);

        expect(push).toHaveBeenCalledWith('/sales/channels/lead-a');
    });

    it('shows the lead header when the current channel is a lead channel', async () => {
        const store = makeStore({channelId: 'channel-a'});
        mocked.listLeads.mockResolvedValue({leads: [waiting('a', 1, 600)], now: NOW, settings: SETTINGS});
        mocked.getChannelLead.mockResolvedValue(waiting('a', 1, 600));
        renderWithStore(<InboxPanel/>, store);
        await flush();

        expect(mocked.getChannelLead).toHaveBeenCalledWith('channel-a');
        expect(screen.getByTestId('lead-header')).toHaveTextContent('Buyer a');
    });

    it('shows no lead header in other channels', async () => {
        await renderPanel();

        expect(mocked.getChannelLead).toHaveBeenCalledWith('channel-town-square');
        expect(screen.queryByTestId('lead-header')).not.toBeInTheDocument();
    });
});
