import React from 'react';

import {platformLabel} from 'inbox/format';
import type {Platform} from 'types';

type Props = {
    platform: Platform;
    size?: number;
};

// Messenger's bolt in a bubble, or Instagram's camera outline, drawn in the text colour
// so it follows the theme; the accessible name says which.
export default function PlatformIcon({platform, size = 14}: Props) {
    const label = platformLabel(platform);
    return (
        <svg
            role='img'
            aria-label={label}
            focusable='false'
            width={size}
            height={size}
            viewBox='0 0 24 24'
            fill='currentColor'
            fillRule='evenodd'
            style={{flex: 'none', verticalAlign: 'text-bottom'}}
        >
            <title>{label}</title>
            {platform === 'instagram' ? (
                <path d='M7 2h10a5 5 0 0 1 5 5v10a5 5 0 0 1-5 5H7a5 5 0 0 1-5-5V7a5 5 0 0 1 5-5Zm0 2a3 3 0 0 0-3 3v10a3 3 0 0 0 3 3h10a3 3 0 0 0 3-3V7a3 3 0 0 0-3-3H7Zm5 3.5a4.5 4.5 0 1 1 0 9 4.5 4.5 0 0 1 0-9Zm0 2a2.5 2.5 0 1 0 0 5 2.5 2.5 0 0 0 0-5Zm5.25-3.75a1 1 0 1 1 0 2 1 1 0 0 1 0-2Z'/>
            ) : (
                <path d='M12 2C6.4 2 2 6.1 2 11.7c0 2.9 1.2 5.5 3.2 7.2V22l3-1.7c1.2.3 2.5.5 3.8.5 5.6 0 10-4.1 10-9.7S17.6 2 12 2Zm1 12.9-2.6-2.7-5 2.7 5.5-5.8 2.6 2.7 4.9-2.7-5.4 5.8Z'/>
            )}
        </svg>
    );
}
