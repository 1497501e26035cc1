import React from 'react';

import {t} from 'i18n';

// Channel-header icon. It inherits the header's text colour (currentColor) so it follows
// the theme, and carries its own accessible name in case the host renders it without one.
export default function InboxIcon() {
    return (
        <svg
            role='img'
            aria-label={t('channel_header.button.label')}
            focusable='false'
            width='16'
            height='16'
            viewBox='0 0 24 24'
            fill='currentColor'
        >
            <path d='M19 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2Zm0 12h-4a3 3 0 0 1-6 0H5V5h14v10Z'/>
        </svg>
    );
}
