import {act, screen} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';

import client, {ApiError} from 'client';
import {leadReceived, queueReceived} from 'actions';
import {HOUR, MINUTE} from 'inbox/risk';
import {NOW, SETTINGS, makeLead, makeStore, renderWithStore} from 'inbox/test_utils';

import InboxIcon from './inbox_icon';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

async function flush() {
    await act(async () => {
        await Promise.resolve();
    });
}

beforeEach(() => {
    jest.clearAllMocks();
});

describe('InboxIcon', () => {
    it('fetches the queue once when nothing has, and shows the counts', async () => {
        mocked.listLeads.mockResolvedValue({
            leads: [
                makeLead('a'),
                makeLead('b'),
                makeLead('c', {window: {last_customer_at: Date.now() - HOUR}}),
                makeLead('d', {handoff: {state: 'claimed', owner_id: 'x'}}),
            ],
            now: Date.now(),
            settings: SETTINGS,
        });
        const store = makeStore();
        const {rerender} = renderWithStore(<InboxIcon/>, store);
        await flush();

        expect(screen.getByRole('img', {name: 'Social Inbox: 3 unclaimed, 1 at risk'})).toBeInTheDocument();
        expect(screen.getByTestId('badge-unclaimed')).toHaveTextContent('3');
        expect(screen.getByTestId('badge-at-risk')).toHaveTextContent('1');

        rerender(
            <Provider store={store}>
                <InboxIcon/>
            </Provider>,
        );
        expect(mocked.listLeads).toHaveBeenCalledTimes(1);
    });

    it('does not fetch when the queue is already there, and follows the store', async () => {
        const store = makeStore();
        store.dispatch(queueReceived({leads: [], now: NOW, settings: SETTINGS}, NOW));
        renderWithStore(<InboxIcon/>, store);

        expect(mocked.listLeads).not.toHaveBeenCalled();
        expect(screen.getByRole('img', {name: 'Social Inbox'})).toBeInTheDocument();
        expect(screen.queryByTestId('badge-unclaimed')).not.toBeInTheDocument();

        act(() => {
            store.dispatch(leadReceived(makeLead('new', {window: {last_customer_at: Date.now() - MINUTE}})));
        });
        expect(screen.getByRole('img', {name: 'Social Inbox: 1 unclaimed, 0 at risk'})).toBeInTheDocument();
    });

    it('stays a plain icon for someone outside the operator pool', async () => {
        mocked.listLeads.mockRejectedValue(new ApiError('Only operators can see the inbox.', 403));
        renderWithStore(<InboxIcon/>);
        await flush();

        expect(screen.getByRole('img', {name: 'Social Inbox'})).toBeInTheDocument();
        expect(screen.queryByTestId('badge-at-risk')).not.toBeInTheDocument();
    });
});
