// A real redux store shaped like the host's, for the deliveries tests: the slice of
// Mattermost's `entities` the selectors read, and the plugin state with the lead store's
// channelLeads map next to this module's `deliveries` slice.

import {combineReducers, legacy_createStore as createStore} from 'redux';

import type {Post} from '@mattermost/types/posts';
import type {GlobalState} from '@mattermost/types/store';

import type {PluginStore} from 'types/mattermost-webapp';

import deliveriesReducer, {initialDeliveriesState} from './reducer';
import type {DeliveriesState} from './reducer';

export const CURRENT_USER_ID = 'operator1';
export const LEAD_CHANNEL_ID = 'leadchannel1';
export const OTHER_CHANNEL_ID = 'townsquare1';

export type TestStore = PluginStore & {
    subscribe(listener: () => void): () => void;
};

type Options = {
    posts?: Post[];
    channelLeads?: Record<string, string | null>;
    deliveries?: Partial<DeliveriesState>;
};

export function makePost(id: string, overrides: Partial<Post> = {}): Post {
    return {
        id,
        create_at: 1,
        update_at: 1,
        edit_at: 0,
        delete_at: 0,
        is_pinned: false,
        user_id: CURRENT_USER_ID,
        channel_id: LEAD_CHANNEL_ID,
        root_id: '',
        original_id: '',
        message: `reply ${id}`,
        type: '',
        props: {},
        hashtags: '',
        pending_post_id: '',
        reply_count: 0,
        metadata: {embeds: [], emojis: [], files: [], images: {}},
        ...overrides,
    };
}

export function makeStore({posts = [], channelLeads = {[LEAD_CHANNEL_ID]: 'lead1'}, deliveries = {}}: Options = {}): TestStore {
    const postsById = Object.fromEntries(posts.map((post) => [post.id, post]));
    const reducer = combineReducers({
        entities: combineReducers({
            posts: combineReducers({posts: (state: Record<string, Post> = postsById) => state}),
            users: combineReducers({currentUserId: (state: string = CURRENT_USER_ID) => state}),
        }),
        'plugins-social-inbox': combineReducers({
            channelLeads: (state: Record<string, string | null> = channelLeads) => state,
            deliveries: deliveriesReducer,
        }),
    });
    const store = createStore(reducer, {
        'plugins-social-inbox': {channelLeads, deliveries: {...initialDeliveriesState, ...deliveries}},
    } as Parameters<typeof reducer>[0]);
    return store as unknown as TestStore & {getState(): GlobalState};
}
