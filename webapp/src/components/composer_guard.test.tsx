import {act, screen} from '@testing-library/react';
import React from 'react';

import client from 'client';
import {DAY, HOUR, MINUTE} from 'inbox/risk';
import {NOW, OTHER, makeLead, makeStore, renderWithStore} from 'inbox/test_utils';
import type {LeadView} from 'types';

import ComposerGuard from './composer_guard';

jest.mock('client', () => jest.requireActual('inbox/client_mock').clientModuleMock());

const mocked = client as jest.Mocked<typeof client>;

async function renderGuard(lead: LeadView | null, draftChannelId?: string) {
    mocked.getChannelLead.mockResolvedValue(lead);
    const result = renderWithStore(
        <ComposerGuard draft={draftChannelId ? {channelId: draftChannelId} : undefined}/>,
        makeStore({channelId: 'channel-a'}),
    );
    await act(async () => {
        await Promise.resolve();
    });
    return result;
}

beforeEach(() => {
    jest.clearAllMocks();
});

describe('ComposerGuard', () => {
    it.each([
        [
            'the window is closed',
            makeLead('a', {window: {standard_until: NOW - HOUR}, send: {mode: 'blocked', reason: "Meta's 24-hour reply window has closed."}}),
            'Reply blocked: the reply window is closed',
            "Meta's 24-hour reply window has closed.",
        ],
        [
            'someone else claimed the lead',
            makeLead('a', {handoff: {state: 'claimed', owner_id: OTHER, owner_username: 'olivia'}, send: {mode: 'blocked', reason: 'This lead is claimed by someone else.'}}),
            'Reply blocked: claimed by @olivia',
            'This lead is claimed by someone else.',
        ],
        [
            'the lead is under review',
            makeLead('a', {handoff: {under_review: true}, send: {mode: 'blocked', reason: 'This lead is under policy review.'}}),
            'Reply blocked: under policy review',
            'This lead is under policy review.',
        ],
        [
            'the lead is closed',
            makeLead('a', {handoff: {state: 'closed'}, send: {mode: 'blocked', reason: 'This lead is closed.'}}),
            'Reply blocked: the lead is closed',
            'This lead is closed.',
        ],
    ])('warns before sending when %s, with the server reason', async (_name, lead, text, reason) => {
        await renderGuard(lead);

        const notice = screen.getByTestId('composer-guard');
        expect(notice).toHaveTextContent(text);
        expect(notice).toHaveTextContent(reason);
        expect(notice).toHaveAttribute('title', reason);
    });

    it('says a reply goes out with the HUMAN_AGENT tag', async () => {
        await renderGuard(makeLead('a', {send: {mode: 'human_agent', until: Date.now() + (3 * DAY) + (30 * MINUTE)}}));

        const notice = screen.getByTestId('composer-guard');
        expect(notice).toHaveTextContent('Sends with the HUMAN_AGENT tag');
        expect(notice.getAttribute('title')).toContain('3d left');
    });

    it('says a reply is the one private reply to the comment', async () => {
        await renderGuard(makeLead('a', {send: {mode: 'private_reply'}}));

        expect(screen.getByTestId('composer-guard')).toHaveTextContent('Sends as the private reply to the comment');
    });

    it('shows nothing for a normal reply', async () => {
        const {container} = await renderGuard(makeLead('a', {send: {mode: 'response'}}));
        expect(container).toBeEmptyDOMElement();
    });

    it('shows nothing in a channel that is not a lead channel', async () => {
        const {container} = await renderGuard(null);
        expect(container).toBeEmptyDOMElement();
    });

    it('follows the channel of the draft (a thread in the right-hand sidebar)', async () => {
        await renderGuard(makeLead('b', {send: {mode: 'private_reply'}}), 'channel-b');
        expect(mocked.getChannelLead).toHaveBeenCalledWith('channel-b');
    });
});
