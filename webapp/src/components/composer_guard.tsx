import {getCurrentChannelId, getCurrentUserId} from 'mattermost-redux/selectors/entities/common';
import React from 'react';
import {useSelector} from 'react-redux';

import {useChannelLead} from 'hooks/use_channel_lead';
import {useNow} from 'hooks/use_now';
import {t} from 'i18n';
import {formatLeft} from 'inbox/format';
import type {LeadView} from 'types';
import type {PostEditorActionProps} from 'types/mattermost-webapp';

import {errorText, visuallyHidden} from './styles';

// Short words for why a reply is blocked; the server's full reason goes with them.
function blockedShort(lead: LeadView, currentUserId: string): string {
    const {state, owner_id: ownerId, owner_username: ownerUsername, under_review: underReview} = lead.handoff;
    if (underReview) {
        return t('composer.blocked.review');
    }
    if (state === 'closed') {
        return t('composer.blocked.closed');
    }
    if (state === 'claimed' && ownerId !== currentUserId) {
        return t('composer.blocked.claimed', {username: ownerUsername || ownerId || '?'});
    }
    return t('composer.blocked.window');
}

// In the message box of a lead channel (registerPostEditorActionComponent): says before
// sending when a reply will be blocked, or will go out with the HUMAN_AGENT tag or as
// the one private reply to a comment. A normal reply, and other channels, show nothing.
export default function ComposerGuard({draft}: PostEditorActionProps) {
    const currentChannelId = useSelector(getCurrentChannelId);
    const currentUserId = useSelector(getCurrentUserId);
    const channelId = draft?.channelId || currentChannelId;
    const now = useNow(15000);
    const lead = useChannelLead(channelId, now);

    if (!lead || lead.send.mode === 'response') {
        return null;
    }

    let text: string;
    let detail: string;
    let style = {};
    switch (lead.send.mode) {
    case 'human_agent':
        text = t('composer.human_agent');
        detail = t('composer.human_agent.detail', {left: lead.send.until ? formatLeft(lead.send.until, now) : ''});
        break;
    case 'private_reply':
        text = t('composer.private_reply');
        detail = t('composer.private_reply.detail');
        break;
    default:
        text = t('composer.blocked', {why: blockedShort(lead, currentUserId)});
        detail = lead.send.reason || t('composer.blocked.no_reason');
        style = errorText;
    }

    return (
        <span
            role='status'
            data-testid='composer-guard'
            data-mode={lead.send.mode}
            title={detail}
            style={{
                display: 'inline-flex',
                alignItems: 'center',
                maxWidth: '320px',
                padding: '0 8px',
                overflow: 'hidden',
                textOverflow: 'ellipsis',
                whiteSpace: 'nowrap',
                fontSize: '12px',
                fontWeight: 600,
                lineHeight: '28px',
                color: 'var(--center-channel-color)',
                ...style,
            }}
        >
            {text}
            <span style={visuallyHidden}>{` ${detail}`}</span>
        </span>
    );
}
