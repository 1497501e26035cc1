import React, {useState} from 'react';

import {initials} from 'inbox/format';
import type {LeadContact} from 'types';

type Props = {
    contact: LeadContact;
    size?: number;
};

// The buyer's picture, or their initials when there is none (or it fails to load). The
// name is always written next to it, so the avatar itself is decorative.
export default function LeadAvatar({contact, size = 32}: Props) {
    const [failed, setFailed] = useState(false);
    const box = {
        width: `${size}px`,
        height: `${size}px`,
        borderRadius: '50%',
        flex: 'none',
    };
    if (contact.avatar_url && !failed) {
        return (
            <img
                src={contact.avatar_url}
                alt=''
                width={size}
                height={size}
                style={{...box, objectFit: 'cover'}}
                referrerPolicy='no-referrer'
                onError={() => setFailed(true)}
            />
        );
    }
    return (
        <span
            aria-hidden='true'
            style={{
                ...box,
                display: 'inline-flex',
                alignItems: 'center',
                justifyContent: 'center',
                fontSize: `${Math.round(size * 0.4)}px`,
                fontWeight: 600,
                color: 'var(--center-channel-color)',
                background: 'rgba(var(--center-channel-color-rgb), 0.16)',
            }}
        >
            {initials(contact.name || contact.username || '')}
        </span>
    );
}
