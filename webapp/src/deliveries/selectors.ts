import type {Post} from '@mattermost/types/posts';
import type {GlobalState} from '@mattermost/types/store';
import {getPost} from 'mattermost-redux/selectors/entities/posts';

import manifest from 'manifest';

import type {Delivery} from 'types';

import {initialDeliveriesState} from './reducer';
import type {DeliveriesState} from './reducer';

// registry.registerReducer puts the plugin's state at state['plugins-<plugin id>'].
const pluginStateKey = `plugins-${manifest.id}`;

// The parts of the plugin state this module reads. `deliveries` is this module's slice;
// `channelLeads` belongs to the lead store (see isLeadChannel).
type PluginStateView = {
    channelLeads?: Readonly<Record<string, unknown>> | null;
    deliveries?: DeliveriesState;
};

function getPluginState(state: GlobalState): PluginStateView | undefined {
    return (state as unknown as Record<string, PluginStateView | undefined>)[pluginStateKey];
}

export function getDeliveriesState(state: GlobalState): DeliveriesState {
    return getPluginState(state)?.deliveries ?? initialDeliveriesState;
}

export function getDelivery(state: GlobalState, postId: string): Delivery | undefined {
    return getDeliveriesState(state).byPostId[postId];
}

// True when the server was asked about the post and has no delivery for it.
export function isDeliveryNotFound(state: GlobalState, postId: string): boolean {
    return getDeliveriesState(state).notFound[postId] === true;
}

export function getDeliveryRevision(state: GlobalState, postId: string): number {
    return getDeliveriesState(state).revisions[postId] ?? 0;
}

// Sent and canceled are final in the outbox; every other state can still change, so
// those are the deliveries to refetch when events may have been lost.
export function getUnsettledDeliveryIds(state: GlobalState): string[] {
    return Object.values(getDeliveriesState(state).byPostId).
        filter((delivery) => delivery.state !== 'sent' && delivery.state !== 'canceled').
        map((delivery) => delivery.post_id);
}

// Contract with the lead store: state['plugins-social-inbox'].channelLeads maps the id of
// every channel the webapp knows to be a lead channel to that lead's id. Any other value
// (absent, null, '') means "not known to be a lead channel", so the delivery line stays
// off and no request is made for that channel's posts.
export function isLeadChannel(state: GlobalState, channelId: string): boolean {
    const leadId = getPluginState(state)?.channelLeads?.[channelId];
    return typeof leadId === 'string' && leadId !== '';
}

function isTrue(value: unknown): boolean {
    return value === true || value === 'true';
}

// Only ordinary posts by people are relayed to the buyer: system messages, bot, webhook
// and plugin posts (the lead card, alerts, the buyer's own messages) never are.
function isOperatorPost(post: Post): boolean {
    if (post.type) {
        return false;
    }
    const props = post.props ?? {};
    return !isTrue(props.from_bot) && !isTrue(props.from_webhook) && !isTrue(props.from_plugin);
}

// Whether the post may have a delivery worth asking the server about. Runs for every post
// the host renders, so it only reads from the store.
export function isDeliveryCandidate(state: GlobalState, postId: string): boolean {
    if (!postId) {
        return false;
    }
    const post = getPost(state, postId);

    // A post still on its way to Mattermost carries its local id as pending_post_id; the
    // outbox is keyed by the id the server gives it.
    if (!post?.id || post.pending_post_id === post.id || post.failed) {
        return false;
    }
    return isLeadChannel(state, post.channel_id) && isOperatorPost(post);
}
