import {act, fireEvent, screen, within} from '@testing-library/react';
import {Client4} from 'mattermost-redux/client';
import React from 'react';
import {Provider} from 'react-redux';

import client, {ApiError} from 'client';
import {DAY, HOUR, MINUTE} from 'inbox/risk';
import {ADMIN, ME, NOW, OTHER, SETTINGS, makeLead, makeStore, renderWithStore} from 'inbox/test_utils';
import type {LeadView} from 'types';

import LeadHeader from './lead_header';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

function renderHeader(lead: LeadView, {currentUserId = ME, now = NOW} = {}) {
    return renderWithStore(
        <LeadHeader
            lead={lead}
            now={now}
            settings={SETTINGS}
        />,
        makeStore({currentUserId}),
    );
}

const header = () => screen.getByTestId('lead-header');
const buttons = () => within(screen.getByRole('group', {name: 'Lead actions'})).queryAllByRole('button').map((b) => b.textContent);

async function settle() {
    await act(async () => {
        await Promise.resolve();
    });
}

beforeEach(() => {
    jest.clearAllMocks();
});

describe('LeadHeader', () => {
    it('names the buyer, their username and platform', () => {
        renderHeader(makeLead('a', {platform: 'instagram', contact: {name: 'Ana Souza', username: 'ana.s', profile_url: 'https://instagram.com/ana.s'}}));

        expect(screen.getByRole('heading', {name: 'Ana Souza'})).toBeInTheDocument();
        expect(screen.getByRole('link', {name: 'Ana Souza'})).toHaveAttribute('href', 'https://instagram.com/ana.s');
        expect(header()).toHaveTextContent('@ana.s');
        expect(within(header()).getByRole('img', {name: 'Instagram'})).toBeInTheDocument();
        expect(screen.getByRole('region', {name: 'Ana Souza'})).toBe(header());
    });

    describe('source', () => {
        it.each([
            ['a Messenger DM', makeLead('a', {source: {kind: 'dm'}}), 'Direct message on Messenger'],
            ['an Instagram DM', makeLead('a', {platform: 'instagram', source: {kind: 'dm'}}), 'Direct message on Instagram'],
            ['a comment without a link', makeLead('a', {source: {kind: 'comment', comment_id: 'c1'}}), 'Comment on a post'],
            ['an ad referral', makeLead('a', {source: {kind: 'ad', ad_id: '6001', ad_title: 'Winter sale'}}), 'Ad: Winter sale'],
            ['an ad without a title', makeLead('a', {source: {kind: 'ad'}}), 'Ad referral'],
            ['a link referral', makeLead('a', {source: {kind: 'link', ref: 'spring-catalog'}}), 'Link ref spring-catalog'],
        ])('says %s', (_name, lead, text) => {
            renderHeader(lead);
            expect(header()).toHaveTextContent(text);
        });

        it('links a comment to its post', () => {
            renderHeader(makeLead('a', {source: {kind: 'comment', permalink: 'https://facebook.com/page/posts/1?comment_id=2'}}));

            const link = screen.getByRole('link', {name: 'Comment on a post'});
            expect(link).toHaveAttribute('href', 'https://facebook.com/page/posts/1?comment_id=2');
            expect(link).toHaveAttribute('target', '_blank');
            expect(link).toHaveAttribute('rel', 'noopener noreferrer');
        });
    });

    describe('window and sending', () => {
        it.each([
            [
                'the standard window',
                makeLead('a', {window: {standard_until: NOW + (5 * HOUR) + (10 * MINUTE)}, send: {mode: 'response'}}),
                ['Standard reply window: 5h 10m left', 'Sending will: reply normally'],
            ],
            [
                'the Human Agent window',
                makeLead('a', {window: {standard_until: NOW - HOUR, human_agent_until: NOW + (3 * DAY), human_agent_enabled: true}, send: {mode: 'human_agent'}}),
                ['HUMAN_AGENT window: 3d left', 'Sending will: send with the HUMAN_AGENT tag'],
            ],
            [
                'the private reply',
                makeLead('a', {source: {kind: 'comment'}, window: {standard_until: 0, last_customer_at: 0, private_reply_until: NOW + (2 * DAY) + HOUR}, send: {mode: 'private_reply'}}),
                ['Private reply to the comment: 2d 1h left', 'Sending will: send the one private reply to the comment'],
            ],
            [
                'a closed window',
                makeLead('a', {window: {standard_until: NOW - (2 * HOUR)}, send: {mode: 'blocked', reason: "Meta's 24-hour reply window has closed."}}),
                ['Window closed 2h ago', "Sending will: be blocked: Meta's 24-hour reply window has closed."],
            ],
        ])('describes %s', (_name, lead, texts) => {
            renderHeader(lead);
            for (const text of texts) {
                expect(header()).toHaveTextContent(text);
            }
        });

        it('counts down live with the time it is given', () => {
            const lead = makeLead('a', {window: {standard_until: NOW + (20 * MINUTE)}});
            const {rerender, store} = renderHeader(lead);
            expect(within(header()).getByTestId('window-countdown')).toHaveAttribute('data-level', 'warning');

            rerender(
                <Provider store={store}>
                    <LeadHeader
                        lead={lead}
                        now={NOW + (6 * MINUTE)}
                        settings={SETTINGS}
                    />
                </Provider>,
            );
            expect(within(header()).getByTestId('window-countdown')).toHaveTextContent('14m left');
            expect(within(header()).getByTestId('window-countdown')).toHaveAttribute('data-level', 'critical');
        });
    });

    describe('handoff and actions', () => {
        it('offers Claim, Transfer, Close and Policy review on an unclaimed lead', () => {
            renderHeader(makeLead('a'));

            expect(header()).toHaveTextContent('Unclaimed');
            expect(buttons()).toEqual(['Claim', 'Transfer', 'Close', 'Policy review']);
        });

        it('offers the owner Release, Transfer and Close', () => {
            renderHeader(makeLead('a', {handoff: {state: 'claimed', owner_id: ME, owner_username: 'me'}}));

            expect(header()).toHaveTextContent('Claimed by you');
            expect(buttons()).toEqual(['Release', 'Transfer', 'Close', 'Policy review']);
        });

        it('offers another operator only the policy review', () => {
            renderHeader(makeLead('a', {handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'}}));

            expect(header()).toHaveTextContent('Claimed by @olivia');
            expect(buttons()).toEqual(['Policy review']);
        });

        it('offers an admin the owner actions on someone else\'s lead', () => {
            renderHeader(makeLead('a', {handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'}}), {currentUserId: ADMIN});

            expect(buttons()).toEqual(['Release', 'Transfer', 'Close', 'Policy review']);
        });

        it('shows a review with its reason; another operator may clear it, the owner may not', () => {
            const lead = makeLead('a', {handoff: {state: 'claimed', owner_id: ME, under_review: true, review_reason: 'Asked for a card number'}});
            const {unmount} = renderHeader(lead);

            expect(header()).toHaveTextContent('Under policy review: Asked for a card number');
            expect(buttons()).toEqual(['Release', 'Transfer', 'Close']);
            unmount();

            renderHeader(lead, {currentUserId: OTHER});
            expect(buttons()).toEqual(['Clear review']);
        });

        it('offers Reopen on a closed lead', () => {
            renderHeader(makeLead('a', {handoff: {state: 'closed'}}));

            expect(header()).toHaveTextContent('Closed');
            expect(buttons()).toEqual(['Reopen']);
        });

        it.each([
            ['Claim', makeLead('a'), 'claim'],
            ['Release', makeLead('a', {handoff: {state: 'claimed', owner_id: ME}}), 'release'],
            ['Close', makeLead('a', {handoff: {state: 'claimed', owner_id: ME}}), 'close'],
            ['Reopen', makeLead('a', {handoff: {state: 'closed'}}), 'reopen'],
            ['Clear review', makeLead('a', {handoff: {under_review: true}}), 'clear-review'],
        ])('%s calls the client and announces the result', async (label, lead, action) => {
            mocked.leadAction.mockResolvedValue({lead, message: `Done: ${action}.`});
            renderHeader(lead);

            fireEvent.click(screen.getByRole('button', {name: label}));
            await settle();

            expect(mocked.leadAction).toHaveBeenCalledWith('a', action, {});
            expect(screen.getByRole('status')).toHaveTextContent(`Done: ${action}.`);
        });

        it('announces the 409 sentence and shows the lead as the server has it', async () => {
            mocked.leadAction.mockRejectedValue(new ApiError('This lead is already claimed.', 409, makeLead('a', {handoff: {state: 'claimed', owner_id: OTHER}, updated_at: NOW + 1})));
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Claim'}));
            await settle();

            expect(screen.getByRole('status')).toHaveTextContent('This lead is already claimed.');
        });
    });

    describe('policy review', () => {
        it('asks for an optional reason and sends it', async () => {
            mocked.leadAction.mockResolvedValue({lead: makeLead('a', {handoff: {under_review: true}}), message: 'This lead is now under policy review.'});
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Policy review'}));
            const input = screen.getByLabelText('Reason for the review (optional)');
            expect(input).toHaveFocus();
            fireEvent.change(input, {target: {value: 'Asked for a card number'}});
            fireEvent.click(screen.getByRole('button', {name: 'Put under review'}));
            await settle();

            expect(mocked.leadAction).toHaveBeenCalledWith('a', 'review', {reason: 'Asked for a card number'});
            expect(screen.getByRole('status')).toHaveTextContent('This lead is now under policy review.');
            expect(screen.queryByLabelText('Reason for the review (optional)')).not.toBeInTheDocument();
        });

        it('sends no reason when none is given', async () => {
            mocked.leadAction.mockResolvedValue({lead: makeLead('a'), message: 'ok'});
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Policy review'}));
            fireEvent.click(screen.getByRole('button', {name: 'Put under review'}));
            await settle();

            expect(mocked.leadAction).toHaveBeenCalledWith('a', 'review', {});
        });
    });

    describe('transfer', () => {
        it('resolves a known username from the store and transfers to that user id', async () => {
            mocked.leadAction.mockResolvedValue({lead: makeLead('a', {handoff: {state: 'claimed', owner_id: OTHER}}), message: 'The lead is now @olivia\'s.'});
            renderHeader(makeLead('a', {handoff: {state: 'claimed', owner_id: ME}}));

            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            const input = screen.getByLabelText('Transfer to (username)');
            expect(input).toHaveFocus();
            fireEvent.change(input, {target: {value: '@olivia'}});
            fireEvent.submit(input.closest('form') as HTMLFormElement);
            await settle();

            expect(mocked.leadAction).toHaveBeenCalledWith('a', 'transfer', {to_user_id: OTHER});
            expect(screen.getByRole('status')).toHaveTextContent('The lead is now @olivia\'s.');
        });

        it('asks the server for a username the store does not know', async () => {
            const lookup = jest.spyOn(Client4, 'getUserByUsername').mockResolvedValue({id: 'user-carla', username: 'carla'} as Awaited<ReturnType<typeof Client4.getUserByUsername>>);
            mocked.leadAction.mockResolvedValue({lead: makeLead('a'), message: 'Transferred.'});
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            fireEvent.change(screen.getByLabelText('Transfer to (username)'), {target: {value: 'carla'}});
            fireEvent.click(within(screen.getByRole('form', {name: 'Transfer the lead'})).getByRole('button', {name: 'Transfer'}));
            await settle();

            expect(lookup).toHaveBeenCalledWith('carla');
            expect(mocked.leadAction).toHaveBeenCalledWith('a', 'transfer', {to_user_id: 'user-carla'});
            lookup.mockRestore();
        });

        it('says when there is no such user, and sends nothing', async () => {
            const lookup = jest.spyOn(Client4, 'getUserByUsername').mockRejectedValue(Object.assign(new Error('not found'), {status_code: 404}));
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            fireEvent.change(screen.getByLabelText('Transfer to (username)'), {target: {value: 'nobody'}});
            fireEvent.submit(screen.getByRole('form', {name: 'Transfer the lead'}));
            await settle();

            expect(screen.getByRole('status')).toHaveTextContent('There is no user @nobody. Check the spelling.');
            expect(mocked.leadAction).not.toHaveBeenCalled();
            lookup.mockRestore();
        });

        it('shows the server sentence when the transfer is refused, keeping the form', async () => {
            mocked.leadAction.mockRejectedValue(new ApiError('That operator already owns this lead.', 409));
            renderHeader(makeLead('a', {handoff: {state: 'claimed', owner_id: ME}}));

            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            fireEvent.change(screen.getByLabelText('Transfer to (username)'), {target: {value: 'olivia'}});
            fireEvent.submit(screen.getByRole('form', {name: 'Transfer the lead'}));
            await settle();

            expect(screen.getByRole('status')).toHaveTextContent('That operator already owns this lead.');
            expect(screen.getByLabelText('Transfer to (username)')).toBeInTheDocument();
        });

        it('suggests the operator pool once, and still works when the list cannot be read', async () => {
            mocked.listOperators.mockResolvedValueOnce([{username: 'olivia', name: 'Olivia Park'}, {username: 'carla', name: ''}]);
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            await settle();
            const input = screen.getByLabelText('Transfer to (username)');
            const list = document.getElementById(input.getAttribute('list') as string) as HTMLDataListElement;
            expect(Array.from(list.options).map((o) => o.value)).toEqual(['olivia', 'carla']);
            expect(list.options[0].textContent).toBe('Olivia Park');

            // Closing and reopening the form uses the list already read.
            fireEvent.keyDown(input, {key: 'Escape'});
            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            await settle();
            expect(mocked.listOperators).toHaveBeenCalledTimes(1);
        });

        it('offers no suggestions when the operator list fails, and the field still works', async () => {
            mocked.listOperators.mockRejectedValueOnce(new ApiError('Only members of the operator pool can work leads.', 403));
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            await settle();

            const input = screen.getByLabelText('Transfer to (username)');
            expect(input).not.toHaveAttribute('list');
            fireEvent.change(input, {target: {value: 'olivia'}});
            expect(input).toHaveValue('olivia');
        });

        it('closes with Escape and gives focus back to the Transfer button', () => {
            jest.useFakeTimers();
            renderHeader(makeLead('a'));

            fireEvent.click(screen.getByRole('button', {name: 'Transfer'}));
            fireEvent.keyDown(screen.getByLabelText('Transfer to (username)'), {key: 'Escape'});
            act(() => {
                jest.runOnlyPendingTimers();
            });

            expect(screen.queryByLabelText('Transfer to (username)')).not.toBeInTheDocument();
            expect(screen.getByRole('button', {name: 'Transfer'})).toHaveFocus();
            jest.useRealTimers();
        });
    });
});
