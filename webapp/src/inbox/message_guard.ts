import type {Post} from '@mattermost/types/posts';

import {fetchChannelLead} from 'actions';
import type {Dispatch, GetState} from 'actions';
import {t} from 'i18n';
import {getLeadByChannel} from 'selectors';
import type {MessageWillBePostedResult} from 'types/mattermost-webapp';

// The MessageWillBePosted hook of the composer guard. Before a post leaves the browser
// in a lead channel it asks the server, fresh, what sending would do; when the answer is
// "blocked" the post is refused with the server's reason, so the draft stays and the
// operator reads why instead of seeing the server reject the post.
//
// It can only hold back what the server would refuse: when the check fails the post goes
// through and the server's own hook decides. Channels known not to be lead channels pass
// without a request.
export function createMessageWillBePostedHook(store: {dispatch: Dispatch; getState: GetState}) {
    return async (post: Post): Promise<MessageWillBePostedResult> => {
        const channelId = post?.channel_id;

        // Only a person's plain post is relayed (the server skips typed posts too).
        if (!channelId || post.type) {
            return {post};
        }
        if (getLeadByChannel(store.getState(), channelId) === null) {
            return {post};
        }
        try {
            const lead = await fetchChannelLead(store.dispatch, channelId);
            if (lead?.send.mode === 'blocked') {
                return {error: {message: lead.send.reason || t('composer.blocked.no_reason')}};
            }
        } catch {
            // The server still enforces the rule.
        }
        return {post};
    };
}
