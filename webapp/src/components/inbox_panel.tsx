import React, {useState} from 'react';
import type {CSSProperties} from 'react';

import {formatParts, t} from 'i18n';

// Literal command text: the slash command is the same in every locale.
const HELP_COMMAND = '/social help';

// Colours come from the theme variables Mattermost sets on the page (the sidebar itself
// paints --center-channel-bg), so the panel follows light and dark themes.
const styles = {
    panel: {
        padding: '16px 20px',
        color: 'var(--center-channel-color)',
    },
    heading: {
        margin: '0 0 8px',
        fontSize: '18px',
        fontWeight: 600,
        lineHeight: '24px',
    },
    text: {
        margin: '0 0 12px',
        fontSize: '14px',
        lineHeight: '20px',
        color: 'rgba(var(--center-channel-color-rgb), 0.72)',
    },
    command: {
        padding: '0 4px',
        borderRadius: '4px',
        color: 'var(--link-color)',
        backgroundColor: 'rgba(var(--center-channel-color-rgb), 0.08)',
    },
} satisfies Record<string, CSSProperties>;

// React.useId would do, but React comes from the host page and Mattermost 10.x still
// ships React 17 (min_server_version is 10.11), so the id comes from a counter.
let lastHeadingId = 0;
function useHeadingId(): string {
    const [id] = useState(() => `social-inbox-panel-heading-${++lastHeadingId}`);
    return id;
}

// Right-hand sidebar of the Social Inbox. For now it explains where leads show up and
// where to find the commands; the lead queue will grow here.
export default function InboxPanel() {
    const headingId = useHeadingId();
    const help = formatParts('inbox_panel.help', {
        command: <code style={styles.command}>{HELP_COMMAND}</code>,
    });

    return (
        <section
            aria-labelledby={headingId}
            style={styles.panel}
        >
            <h2
                id={headingId}
                style={styles.heading}
            >
                {t('inbox_panel.heading')}
            </h2>
            <p style={styles.text}>{t('inbox_panel.intro')}</p>
            <p style={styles.text}>
                {help.map((part, i) => (
                    // The parts of a message never reorder, so their position is a stable key.
                    <React.Fragment key={i}>{part}</React.Fragment>
                ))}
            </p>
        </section>
    );
}
