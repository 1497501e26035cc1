import {getCurrentChannelId, getCurrentUserId} from 'mattermost-redux/selectors/entities/common';
import React from 'react';
import {useSelector} from 'react-redux';

import {useChannelLead} from 'hooks/use_channel_lead';
import {useNow} from 'hooks/use_now';
import {t} from 'i18n';
import {ownerText, platformLabel} from 'inbox/format';
import {windowPhase} from 'inbox/risk';
import {getSettings} from 'selectors';

import PlatformIcon from './platform_icon';
import {errorText, mutedText} from './styles';
import WindowCountdown from './window_countdown';

// One line at the top of a lead channel's posts (registerChannelToastComponent, which
// renders it with no props): who the buyer is, who holds the lead, the reply window,
// and why replies are blocked when they are. Nothing in other channels.
export default function ChannelLeadBanner() {
    const channelId = useSelector(getCurrentChannelId);
    const currentUserId = useSelector(getCurrentUserId);
    const settings = useSelector(getSettings);
    const now = useNow();
    const lead = useChannelLead(channelId, now);

    if (!lead) {
        return null;
    }

    const owner = ownerText(lead, currentUserId);
    const blocked = lead.send.mode === 'blocked';
    const name = lead.contact.name || lead.contact.username || t('inbox.row.unknown_contact');

    return (
        <div
            role='region'
            aria-label={t('lead_header.banner.label', {name})}
            data-testid='lead-banner'
            style={{
                display: 'flex',
                flexWrap: 'wrap',
                alignItems: 'center',
                gap: '6px',
                padding: '6px 16px',
                fontSize: '12px',
                lineHeight: '18px',
                color: 'var(--center-channel-color)',
                background: 'rgba(var(--center-channel-color-rgb), 0.04)',
                borderBottom: '1px solid rgba(var(--center-channel-color-rgb), 0.16)',
            }}
        >
            <PlatformIcon platform={lead.platform}/>
            <strong>{name}</strong>
            <span aria-hidden='true'>{'·'}</span>
            <span style={mutedText}>{platformLabel(lead.platform)}</span>
            <span aria-hidden='true'>{'·'}</span>
            <span style={mutedText}>{owner}</span>
            <span aria-hidden='true'>{'·'}</span>
            <WindowCountdown
                phase={windowPhase(lead, now)}
                now={now}
                settings={settings}
            />
            {blocked ? (
                <>
                    <span aria-hidden='true'>{'·'}</span>
                    <span style={errorText}>
                        {t('lead_header.banner.blocked', {reason: lead.send.reason || t('composer.blocked.no_reason')})}
                    </span>
                </>
            ) : null}
        </div>
    );
}
