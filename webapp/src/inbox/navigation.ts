import type {LeadView} from 'types';

// Path of a lead's channel inside the webapp, without the site's subpath.
export function leadChannelPath(lead: Pick<LeadView, 'team_name' | 'channel_name'>): string {
    return `/${encodeURIComponent(lead.team_name)}/channels/${encodeURIComponent(lead.channel_name)}`;
}

// Full address of a lead's channel: what a link points at (open in a new tab, copy).
export function leadChannelURL(lead: Pick<LeadView, 'team_name' | 'channel_name'>, siteURL = ''): string {
    return `${siteURL.replace(/\/+$/, '')}${leadChannelPath(lead)}`;
}

// Opens a lead's channel in place through the host's router (its history already
// carries the subpath); without it, loads the page.
export function openLeadChannel(lead: Pick<LeadView, 'team_name' | 'channel_name'>, siteURL = ''): void {
    const history = window.WebappUtils?.browserHistory;
    if (history) {
        history.push(leadChannelPath(lead));
        return;
    }
    window.location.assign(leadChannelURL(lead, siteURL));
}
