import {act, fireEvent, render, screen, waitFor} from '@testing-library/react';
import React from 'react';
import {Provider} from 'react-redux';
import type {Store} from 'redux';

import type {Post} from '@mattermost/types/posts';

import client, {ApiError} from 'client';
import type {Delivery, DeliveryRetryResult, DeliveryUpdatedEvent} from 'types';
import type {PluginWebSocketMessage} from 'types/mattermost-webapp';

import DeliveryState, {formatRetryTime} from './delivery_state';
import {getDeliveryLoader} from './loader';
import {LEAD_CHANNEL_ID, OTHER_CHANNEL_ID, makePost, makeStore} from './test_store';
import type {TestStore} from './test_store';
import {DELIVERY_UPDATED_EVENT, handleDeliveryUpdated} from './websocket';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const getDeliveries = client.getDeliveries as jest.MockedFunction<typeof client.getDeliveries>;
const retryDelivery = client.retryDelivery as jest.MockedFunction<typeof client.retryDelivery>;

const NOW = new Date(2030, 0, 15, 13, 50).getTime();
const AT_14_05 = new Date(2030, 0, 15, 14, 5).getTime();

function delivery(postId: string, overrides: Partial<Delivery> = {}): Delivery {
    return {post_id: postId, lead_id: 'lead1', state: 'pending', retryable: false, attempts: 0, updated_at: 100, ...overrides};
}

function renderPosts(store: TestStore, postIds: string[], onHeightChange?: () => void) {
    return render(
        <Provider store={store as unknown as Store}>
            {postIds.map((id) => (
                <div
                    key={id}
                    data-testid={`post-${id}`}
                >
                    <DeliveryState
                        postId={id}
                        onHeightChange={onHeightChange}
                    />
                </div>
            ))}
        </Provider>,
    );
}

// Lets the batch go out and its answer reach the store and the screen.
async function settle(store: TestStore) {
    await act(() => getDeliveryLoader(store).flush());
}

function storeWith(posts: Post[], deliveries: Delivery[] = []) {
    return makeStore({posts, deliveries: {byPostId: Object.fromEntries(deliveries.map((d) => [d.post_id, d]))}});
}

beforeEach(() => {
    getDeliveries.mockReset();
    getDeliveries.mockResolvedValue({});
    retryDelivery.mockReset();
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
});

afterEach(() => {
    jest.restoreAllMocks();
});

describe('DeliveryState', () => {
    it('renders nothing until the delivery is known, then shows it; one request for all posts on screen', async () => {
        const store = storeWith([makePost('reply1'), makePost('reply2'), makePost('reply3')]);
        getDeliveries.mockResolvedValue({
            reply1: delivery('reply1'),
            reply2: delivery('reply2', {state: 'sent', attempts: 1}),
        });

        renderPosts(store, ['reply1', 'reply2', 'reply3']);

        expect(screen.getByTestId('post-reply1')).toBeEmptyDOMElement();

        await settle(store);

        expect(getDeliveries).toHaveBeenCalledTimes(1);
        expect(getDeliveries).toHaveBeenCalledWith(['reply1', 'reply2', 'reply3']);
        expect(screen.getByTestId('post-reply1')).toHaveTextContent('Sending…');
        expect(screen.getByTestId('post-reply2')).toHaveTextContent('Sent');
        expect(screen.getByTestId('post-reply3')).toBeEmptyDOMElement();
    });

    it('does not ask again when a post with a known delivery is shown again', async () => {
        const store = storeWith([makePost('reply1'), makePost('note1')]);
        getDeliveries.mockResolvedValue({reply1: delivery('reply1', {state: 'sent'})});
        const first = renderPosts(store, ['reply1', 'note1']);
        await settle(store);
        first.unmount();

        renderPosts(store, ['reply1', 'note1']);
        await settle(store);

        expect(getDeliveries).toHaveBeenCalledTimes(1);
        expect(screen.getByTestId('post-reply1')).toHaveTextContent('Sent');
    });

    describe('says the state in words, with the theme colour of the state', () => {
        const cases: Array<{name: string; delivery: Partial<Delivery>; text: string; color: string; retry: boolean}> = [
            {
                name: 'pending, first try',
                delivery: {state: 'pending', attempts: 0},
                text: 'Sending…',
                color: 'rgba(var(--center-channel-color-rgb), 0.64)',
                retry: false,
            },
            {
                name: 'pending, next try scheduled',
                delivery: {state: 'pending', attempts: 2, next_at: AT_14_05},
                text: `Sending… (retry 2 at ${formatRetryTime(AT_14_05, NOW)})`,
                color: 'rgba(var(--center-channel-color-rgb), 0.64)',
                retry: false,
            },
            {
                name: 'pending, queued before the first try',
                delivery: {state: 'pending', attempts: 0, next_at: AT_14_05},
                text: `Sending… (queued until ${formatRetryTime(AT_14_05, NOW)})`,
                color: 'rgba(var(--center-channel-color-rgb), 0.64)',
                retry: false,
            },
            {
                name: 'pending, next try time passed',
                delivery: {state: 'pending', attempts: 2, next_at: NOW - 1000},
                text: 'Sending…',
                color: 'rgba(var(--center-channel-color-rgb), 0.64)',
                retry: false,
            },
            {
                name: 'unknown',
                delivery: {state: 'unknown', attempts: 1},
                text: 'Waiting for Meta to confirm',
                color: 'rgba(var(--center-channel-color-rgb), 0.64)',
                retry: false,
            },
            {
                name: 'sent',
                delivery: {state: 'sent', attempts: 1},
                text: 'Sent',
                color: 'var(--online-indicator)',
                retry: false,
            },
            {
                name: 'failed, retryable',
                delivery: {state: 'failed', error: 'Meta did not answer. Retry in a minute.', retryable: true},
                text: 'Not delivered: Meta did not answer. Retry in a minute.',
                color: 'var(--error-text)',
                retry: true,
            },
            {
                name: 'failed, not retryable',
                delivery: {state: 'failed', error: 'The 24-hour window closed before the reply went out.', retryable: false},
                text: 'Not delivered: The 24-hour window closed before the reply went out.',
                color: 'var(--error-text)',
                retry: false,
            },
            {
                name: 'failed without a reason',
                delivery: {state: 'failed', retryable: false},
                text: 'Not delivered',
                color: 'var(--error-text)',
                retry: false,
            },
            {
                name: 'canceled',
                delivery: {state: 'canceled'},
                text: 'Not sent: deleted before delivery',
                color: 'rgba(var(--center-channel-color-rgb), 0.64)',
                retry: false,
            },
        ];

        it.each(cases)('$name: "$text"', async (c) => {
            const store = storeWith([makePost('reply1')], [delivery('reply1', c.delivery)]);

            renderPosts(store, ['reply1']);
            await settle(store);

            const text = screen.getByText(c.text);
            expect(text.parentElement).toHaveStyle({color: c.color});
            expect(screen.queryByRole('button', {name: 'Retry'}) !== null).toBe(c.retry);
            expect(getDeliveries).not.toHaveBeenCalled();
        });
    });

    it('marks a sent reply with a check icon that is hidden from screen readers', () => {
        const store = storeWith([makePost('reply1')], [delivery('reply1', {state: 'sent'})]);

        renderPosts(store, ['reply1']);

        const icon = screen.getByText('Sent').parentElement?.querySelector('svg');
        expect(icon).toHaveAttribute('aria-hidden', 'true');
    });

    it('turns "Sending…" into "Sent" when the event arrives, without another request', async () => {
        const store = storeWith([makePost('reply1')]);
        getDeliveries.mockResolvedValue({reply1: delivery('reply1')});
        renderPosts(store, ['reply1']);
        await settle(store);
        expect(screen.getByTestId('post-reply1')).toHaveTextContent('Sending…');

        const msg: PluginWebSocketMessage<DeliveryUpdatedEvent> = {
            event: DELIVERY_UPDATED_EVENT,
            data: {post_id: 'reply1', lead_id: 'lead1', channel_id: LEAD_CHANNEL_ID, state: 'sent', retryable: false},
            broadcast: {omit_users: {}, user_id: '', channel_id: LEAD_CHANNEL_ID, team_id: ''},
            seq: 1,
        };
        act(() => handleDeliveryUpdated(store)(msg));
        await settle(store);

        expect(screen.getByTestId('post-reply1')).toHaveTextContent('Sent');
        expect(screen.getByTestId('post-reply1')).not.toHaveTextContent('Sending');
        expect(getDeliveries).toHaveBeenCalledTimes(1);
    });

    describe('Retry', () => {
        const failed = delivery('reply1', {state: 'failed', error: 'Meta did not answer.', retryable: true, attempts: 3});

        it('sends the reply again, is disabled meanwhile, and shows the server\'s answer', async () => {
            const store = storeWith([makePost('reply1')], [failed]);
            let answer: (value: DeliveryRetryResult) => void = () => undefined;
            retryDelivery.mockImplementation(() => new Promise((resolve) => {
                answer = resolve;
            }));
            renderPosts(store, ['reply1']);

            fireEvent.click(screen.getByRole('button', {name: 'Retry'}));

            expect(retryDelivery).toHaveBeenCalledWith('reply1');
            expect(screen.getByRole('button', {name: 'Retrying…'})).toBeDisabled();

            await act(async () => answer({delivery: delivery('reply1', {state: 'pending', attempts: 0}), message: 'Sending again.'}));

            expect(screen.getByRole('status')).toHaveTextContent('Sending again.');
            expect(screen.getByTestId('post-reply1')).toHaveTextContent('Sending…');
            expect(screen.queryByRole('button')).not.toBeInTheDocument();
            expect(getDeliveries).not.toHaveBeenCalled();
        });

        it('drops the answer once the reply is sent', async () => {
            const store = storeWith([makePost('reply1')], [failed]);
            retryDelivery.mockResolvedValue({delivery: delivery('reply1', {state: 'pending'}), message: 'Sending again.'});
            renderPosts(store, ['reply1']);
            fireEvent.click(screen.getByRole('button', {name: 'Retry'}));
            await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent('Sending again.'));

            act(() => handleDeliveryUpdated(store)({
                event: DELIVERY_UPDATED_EVENT,
                data: {post_id: 'reply1', lead_id: 'lead1', channel_id: LEAD_CHANNEL_ID, state: 'sent', retryable: false},
                broadcast: {omit_users: {}, user_id: '', channel_id: LEAD_CHANNEL_ID, team_id: ''},
                seq: 2,
            }));

            expect(screen.getByRole('status')).toBeEmptyDOMElement();
            expect(screen.getByTestId('post-reply1')).toHaveTextContent('Sent');
        });

        it('says why it is still not possible when the server answers 409', async () => {
            const store = storeWith([makePost('reply1')], [failed]);
            retryDelivery.mockRejectedValue(new ApiError('The 24-hour window has closed; wait for the buyer to write again.', 409));
            renderPosts(store, ['reply1']);

            fireEvent.click(screen.getByRole('button', {name: 'Retry'}));

            await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent(
                'Still not possible: The 24-hour window has closed; wait for the buyer to write again.',
            ));
            expect(screen.getByRole('status')).toHaveStyle({color: 'var(--error-text)'});
            expect(screen.getByRole('button', {name: 'Retry'})).toBeEnabled();
            expect(screen.getByTestId('post-reply1')).toHaveTextContent('Not delivered: Meta did not answer.');
        });

        it('shows the server\'s sentence for other errors', async () => {
            const store = storeWith([makePost('reply1')], [failed]);
            retryDelivery.mockRejectedValue(new ApiError('The Mattermost server could not be reached. Check your connection and try again.', 0));
            renderPosts(store, ['reply1']);

            fireEvent.click(screen.getByRole('button', {name: 'Retry'}));

            await waitFor(() => expect(screen.getByRole('status')).toHaveTextContent(
                'The Mattermost server could not be reached. Check your connection and try again.',
            ));
        });
    });

    it('tells the host the height of the line when it appears and when it changes', async () => {
        // jsdom does no layout; the host only re-measures the post for a height above 0.
        jest.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue({height: 16} as DOMRect);
        const store = storeWith([makePost('reply1')]);
        getDeliveries.mockResolvedValue({reply1: delivery('reply1')});
        const onHeightChange = jest.fn();
        renderPosts(store, ['reply1'], onHeightChange);
        expect(onHeightChange).not.toHaveBeenCalled();

        await settle(store);
        expect(onHeightChange).toHaveBeenCalledTimes(1);
        expect(onHeightChange).toHaveBeenCalledWith(16);

        act(() => handleDeliveryUpdated(store)({
            event: DELIVERY_UPDATED_EVENT,
            data: {post_id: 'reply1', lead_id: 'lead1', channel_id: LEAD_CHANNEL_ID, state: 'failed', error: 'Meta did not answer.', retryable: true},
            broadcast: {omit_users: {}, user_id: '', channel_id: LEAD_CHANNEL_ID, team_id: ''},
            seq: 3,
        }));
        expect(onHeightChange).toHaveBeenCalledTimes(2);
    });

    describe('renders nothing and asks nothing for posts that are not operator replies in a lead channel', () => {
        const posts: Array<[string, Post]> = [
            ['a post in a channel that is not a lead channel', makePost('post1', {channel_id: OTHER_CHANNEL_ID})],
            ['a bot post (the lead card, the buyer\'s messages)', makePost('post1', {props: {from_bot: 'true'}})],
            ['a webhook post', makePost('post1', {props: {from_webhook: 'true'}})],
            ['a plugin post', makePost('post1', {props: {from_plugin: true}})],
            ['a system message', makePost('post1', {type: 'system_join_channel'})],
            ['a post still being sent by this browser', makePost('post1', {pending_post_id: 'post1'})],
        ];

        it.each(posts)('%s', async (_name, post) => {
            const store = makeStore({posts: [post], deliveries: {byPostId: {post1: delivery('post1', {state: 'sent'})}}});

            renderPosts(store, ['post1']);
            await settle(store);

            expect(screen.getByTestId('post-post1')).toBeEmptyDOMElement();
            expect(getDeliveries).not.toHaveBeenCalled();
        });

        it('a post the store does not have', async () => {
            const store = makeStore();

            renderPosts(store, ['missing1']);
            await settle(store);

            expect(screen.getByTestId('post-missing1')).toBeEmptyDOMElement();
            expect(getDeliveries).not.toHaveBeenCalled();
        });

        it('a channel whose lead entry is empty', async () => {
            const store = makeStore({posts: [makePost('post1')], channelLeads: {[LEAD_CHANNEL_ID]: ''}});

            renderPosts(store, ['post1']);
            await settle(store);

            expect(screen.getByTestId('post-post1')).toBeEmptyDOMElement();
            expect(getDeliveries).not.toHaveBeenCalled();
        });
    });
});

describe('formatRetryTime', () => {
    it('gives hours and minutes for a time later today', () => {
        expect(formatRetryTime(AT_14_05, NOW)).toMatch(/^(14:05|0?2:05\s?PM)$/);
    });

    it('adds the date for a time on another day', () => {
        const nextDay = new Date(2030, 0, 16, 9, 30).getTime();

        expect(formatRetryTime(nextDay, NOW)).toMatch(/Jan.*16/);
    });
});
