package mmfake

import (
	"net/http"
	"slices"
	"sort"

	"github.com/mattermost/mattermost/server/public/model"
)

// maxPostsPerPage is the limit SqlPostStore.GetPosts enforces.
const maxPostsPerPage = 1000

// createPost is app.CreatePost for a post on a trusted path (plugin or server): it
// validates, stamps and stores p, which must be a private copy. It returns a copy of
// the post as the server hands it back (props as the caller typed them, e.g. typed
// attachments), while the stored post has its props normalised through JSON, as the
// database column returns them. s.mu must be held.
func (s *Server) createPost(p *model.Post) (*model.Post, *model.AppError) {
	ch, ok := s.channels[p.ChannelId]
	if !ok {
		return nil, notFound("CreatePostMissingChannel", "app.channel.get.existing.app_error", "channel_id="+p.ChannelId)
	}
	p.SanitizeProps()
	u, ok := s.users[p.UserId]
	if !ok {
		return nil, notFound("CreatePost", missingAccountError, "user_id="+p.UserId)
	}
	if u.IsBot {
		p.AddProp(model.PostPropsFromBot, "true")
	}
	var root *model.Post
	if p.RootId != "" {
		root = s.posts[p.RootId]
		if root == nil || root.DeleteAt != 0 {
			return nil, badRequest("createPost", "api.post.create_post.root_id.app_error", "root_id="+p.RootId)
		}
		if root.ChannelId != p.ChannelId {
			return nil, newAppError("createPost", "api.post.create_post.channel_root_id.app_error", http.StatusInternalServerError, "")
		}
		if root.RootId != "" {
			return nil, badRequest("createPost", "api.post.create_post.root_id.app_error", "root post is a reply")
		}
	}
	p.Hashtags, _ = model.ParseHashtags(p.Message)
	if p.CreateAt == 0 {
		p.CreateAt = s.millis()
	}

	// SqlPostStore.Save.
	if p.Id != "" {
		return nil, badRequest("CreatePost", "app.post.save.existing.app_error", "id="+p.Id)
	}
	p.PreSave()
	if appErr := p.IsValid(model.PostMessageMaxRunesV2); appErr != nil {
		return nil, appErr
	}
	if appErr := s.checkFileIDs(p.ChannelId, "", p.FileIds); appErr != nil {
		return nil, appErr
	}
	p.Metadata = nil
	p.Participants = nil
	p.IsFollowing = nil
	result, err := rpcCopy(p)
	if err != nil {
		return nil, newAppError("CreatePost", "app.post.save.app_error", http.StatusInternalServerError, err.Error())
	}
	props, err := jsonNormalize(p.GetProps())
	if err != nil {
		return nil, newAppError("CreatePost", "app.post.save.app_error", http.StatusInternalServerError, err.Error())
	}
	p.SetProps(props)
	s.posts[p.Id] = p
	s.channelPosts[p.ChannelId] = append(s.channelPosts[p.ChannelId], p.Id)

	ch.TotalMsgCount++
	ch.LastPostAt = max(ch.LastPostAt, p.CreateAt)
	if p.RootId == "" {
		ch.TotalMsgCountRoot++
		ch.LastRootPostAt = max(ch.LastRootPostAt, p.CreateAt)
	} else if root.UpdateAt < p.CreateAt {
		root.UpdateAt = p.CreateAt
	}
	s.attachFiles(p)
	return result, nil
}

// checkFileIDs requires every id to name an uploaded, undeleted file of the channel not
// attached to another post. The server silently drops bad ids instead; the fake fails
// so that the bug shows. s.mu must be held.
func (s *Server) checkFileIDs(channelID, postID string, ids []string) *model.AppError {
	for _, id := range ids {
		f, ok := s.files[id]
		switch {
		case !ok:
			return badRequest("CreatePost", "mmfake.create_post.invalid_file_ids", "file "+id+" was never uploaded")
		case f.info.DeleteAt != 0:
			return badRequest("CreatePost", "mmfake.create_post.invalid_file_ids", "file "+id+" is deleted")
		case f.info.ChannelId != channelID:
			return badRequest("CreatePost", "mmfake.create_post.invalid_file_ids", "file "+id+" was uploaded to channel "+f.info.ChannelId)
		case f.info.PostId != "" && f.info.PostId != postID:
			return badRequest("CreatePost", "mmfake.create_post.invalid_file_ids", "file "+id+" is attached to post "+f.info.PostId)
		}
	}
	return nil
}

// attachFiles records the post on its files (FileInfo.PostId). s.mu must be held.
func (s *Server) attachFiles(p *model.Post) {
	for _, id := range p.FileIds {
		if f, ok := s.files[id]; ok {
			f.info.PostId = p.Id
			f.info.UpdateAt = p.UpdateAt
		}
	}
}

// systemPost creates a server-generated post (join/leave messages). s.mu must be held.
func (s *Server) systemPost(ch *model.Channel, u *model.User, postType, message string, props model.StringInterface) (*model.Post, *model.AppError) {
	if props == nil {
		props = model.StringInterface{"username": u.Username}
	}
	return s.createPost(&model.Post{ChannelId: ch.Id, UserId: u.Id, Type: postType, Message: message, Props: props})
}

// channelPostsSorted returns the channel's stored posts ordered by CreateAt (then
// creation order). s.mu must be held.
func (s *Server) channelPostsSorted(channelID string, includeDeleted bool) []*model.Post {
	var posts []*model.Post
	for _, id := range s.channelPosts[channelID] {
		if p := s.posts[id]; includeDeleted || p.DeleteAt == 0 {
			posts = append(posts, p)
		}
	}
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].CreateAt < posts[j].CreateAt })
	return posts
}

// livePost returns an undeleted post or a 404. s.mu must be held.
func (s *Server) livePost(where, postID string) (*model.Post, *model.AppError) {
	p, ok := s.posts[postID]
	if !ok || p.DeleteAt != 0 {
		return nil, notFound(where, "app.post.get.app_error", "post_id="+postID)
	}
	return p, nil
}

// CreatePost creates a post as the plugin: props.from_plugin is set to "true" (and
// from_bot for a bot author). The caller's post is not modified; the created post is
// returned. A preset Id is refused.
func (a *API) CreatePost(post *model.Post) (*model.Post, *model.AppError) {
	const m = "CreatePost"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	p, ok := rpcArg(a, m, post)
	if !ok {
		return nil, nil
	}
	if p == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "post")
	}
	p.AddProp(model.PostPropsFromPlugin, "true")
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.createPost(p)
}

// GetPost returns the post, 404 when unknown or deleted.
func (a *API) GetPost(postID string) (*model.Post, *model.AppError) {
	const m = "GetPost"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	p, appErr := a.s.livePost(m, postID)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(p), nil
}

// UpdatePost is app.UpdatePost with SafeUpdate false: message, props, file ids,
// IsPinned and HasReactions come from post; Id, CreateAt, UserId, ChannelId, RootId and
// Type are kept. UpdateAt is bumped; EditAt is set when the message, the files or the
// attachments change.
func (a *API) UpdatePost(post *model.Post) (*model.Post, *model.AppError) {
	const m = "UpdatePost"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	in, ok := rpcArg(a, m, post)
	if !ok {
		return nil, nil
	}
	if in == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "post")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	old, exists := a.s.posts[in.Id]
	if !exists {
		return nil, notFound(m, "app.post.get.app_error", "post_id="+in.Id)
	}
	if old.DeleteAt != 0 {
		return nil, badRequest(m, "api.post.update_post.permissions_details.app_error", "post_id="+in.Id)
	}
	if old.IsSystemMessage() {
		return nil, badRequest(m, "api.post.update_post.system_message.app_error", "id="+in.Id)
	}
	ch, appErr := a.s.channel("GetChannel", old.ChannelId)
	if appErr != nil {
		return nil, appErr
	}
	if ch.DeleteAt != 0 {
		return nil, badRequest(m, "api.post.update_post.can_not_update_post_in_deleted.error", "")
	}
	now := a.s.millis()
	updated := mustRPCCopy(old)
	if updated.Message != in.Message {
		updated.Message = in.Message
		updated.EditAt = now
		updated.Hashtags, _ = model.ParseHashtags(in.Message)
	}
	updated.IsPinned = in.IsPinned
	updated.HasReactions = in.HasReactions
	props, err := jsonNormalize(in.GetProps())
	if err != nil {
		return nil, newAppError(m, "app.post.update.app_error", http.StatusInternalServerError, err.Error())
	}
	if props == nil {
		props = map[string]any{}
	}
	updated.SetProps(props)
	updated.FileIds = in.FileIds
	if updated.EditAt == old.EditAt && (!old.FileIds.Equals(updated.FileIds) || !old.AttachmentsEqual(updated)) {
		updated.EditAt = now
	}
	if appErr := a.s.checkFileIDs(updated.ChannelId, updated.Id, updated.FileIds); appErr != nil {
		return nil, appErr
	}
	updated.UpdateAt = now
	updated.PreCommit()
	if appErr := updated.IsValid(model.PostMessageMaxRunesV2); appErr != nil {
		return nil, appErr
	}
	a.s.posts[updated.Id] = updated
	a.s.attachFiles(updated)
	return mustRPCCopy(updated), nil
}

// DeletePost soft-deletes the post and, for a root post, its replies (DeleteAt and
// UpdateAt set, props.deleteBy = plugin id).
func (a *API) DeletePost(postID string) *model.AppError {
	const m = "DeletePost"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	p, appErr := a.s.livePost(m, postID)
	if appErr != nil {
		return appErr
	}
	now := a.s.millis()
	for _, id := range a.s.channelPosts[p.ChannelId] {
		q := a.s.posts[id]
		if q.Id != postID && q.RootId != postID {
			continue
		}
		q.DeleteAt, q.UpdateAt = now, now
		q.AddProp(model.PostPropsDeleteBy, a.pluginID)
		for _, fid := range q.FileIds {
			if f, ok := a.s.files[fid]; ok {
				f.info.DeleteAt, f.info.UpdateAt = now, now
			}
		}
	}
	return nil
}

// GetPostsSince returns the channel's posts changed (UpdateAt) after time, deleted ones
// included, plus the roots of changed replies. Order lists only the changed posts,
// newest first.
func (a *API) GetPostsSince(channelID string, time int64) (*model.PostList, *model.AppError) {
	const m = "GetPostsSince"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var changed []*model.Post
	for _, p := range a.s.channelPostsSorted(channelID, true) {
		if p.UpdateAt > time && len(changed) < maxPostsPerPage {
			changed = append(changed, p)
		}
	}
	all := map[string]*model.Post{}
	for _, p := range changed {
		all[p.Id] = p
		if root, ok := a.s.posts[p.RootId]; ok {
			all[root.Id] = root
		}
	}
	posts := sortedDesc(all)
	list := model.NewPostList()
	for _, p := range posts {
		list.AddPost(p)
		if p.UpdateAt > time {
			list.AddOrder(p.Id)
		}
	}
	return mustRPCCopy(list), nil
}

// GetPostsForChannel returns a page of the channel's undeleted posts, newest first
// (Order), plus the complete threads of the replies on the page (Posts only).
func (a *API) GetPostsForChannel(channelID string, page, perPage int) (*model.PostList, *model.AppError) {
	const m = "GetPostsForChannel"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	if perPage > maxPostsPerPage {
		return nil, badRequest("GetPostsPage", "app.post.get_posts.app_error", "per_page > 1000")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	live := a.s.channelPostsSorted(channelID, false)
	slices.Reverse(live)
	pagePosts := pageOf(live, page, perPage)
	list := model.NewPostList()
	roots := map[string]bool{}
	for _, p := range pagePosts {
		list.AddPost(p)
		list.AddOrder(p.Id)
		if p.RootId != "" {
			roots[p.RootId] = true
		}
	}
	for _, p := range live {
		if roots[p.Id] || roots[p.RootId] {
			list.AddPost(p)
		}
	}
	list.MakeNonNil()
	return mustRPCCopy(list), nil
}

// GetPostThread returns the post's thread (root and undeleted replies). Order starts
// with the requested post, then the rest of the thread oldest first; 404 when the post
// is unknown or deleted.
func (a *API) GetPostThread(postID string) (*model.PostList, *model.AppError) {
	const m = "GetPostThread"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	p, appErr := a.s.livePost(m, postID)
	if appErr != nil {
		return nil, appErr
	}
	rootID := p.RootId
	if rootID == "" {
		rootID = p.Id
	}
	list := model.NewPostList()
	list.AddPost(p)
	list.AddOrder(p.Id)
	for _, q := range a.s.channelPostsSorted(p.ChannelId, false) {
		if q.Id != p.Id && (q.Id == rootID || q.RootId == rootID) {
			list.AddPost(q)
			list.AddOrder(q.Id)
		}
	}
	return mustRPCCopy(list), nil
}

func sortedDesc(m map[string]*model.Post) []*model.Post {
	posts := make([]*model.Post, 0, len(m))
	for _, p := range m {
		posts = append(posts, p)
	}
	sort.Slice(posts, func(i, j int) bool {
		if posts[i].CreateAt != posts[j].CreateAt {
			return posts[i].CreateAt > posts[j].CreateAt
		}
		return posts[i].Id > posts[j].Id
	})
	return posts
}

// ---- ephemeral posts ----

// SendEphemeralPost shows a post to one user only; it is recorded for EphemeralPosts
// and never stored. Type becomes system_ephemeral; Id and CreateAt are filled in.
func (a *API) SendEphemeralPost(userID string, post *model.Post) *model.Post {
	const m = "SendEphemeralPost"
	if failed, _ := a.enter(m); failed {
		return nil
	}
	p, ok := rpcArg(a, m, post)
	if !ok || p == nil {
		return nil
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	p.Type = model.PostTypeEphemeral
	if p.Id == "" {
		p.Id = model.NewId()
	}
	if p.CreateAt == 0 {
		p.CreateAt = a.s.millis()
	}
	if p.GetProps() == nil {
		p.SetProps(model.StringInterface{})
	}
	p.GenerateActionIds()
	a.s.ephemeral[userID] = append(a.s.ephemeral[userID], p)
	return mustRPCCopy(p)
}

// UpdateEphemeralPost replaces the user's ephemeral post with the same Id (or shows it
// if it is not there) and bumps UpdateAt.
func (a *API) UpdateEphemeralPost(userID string, post *model.Post) *model.Post {
	const m = "UpdateEphemeralPost"
	if failed, _ := a.enter(m); failed {
		return nil
	}
	p, ok := rpcArg(a, m, post)
	if !ok || p == nil {
		return nil
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	p.Type = model.PostTypeEphemeral
	p.UpdateAt = a.s.millis()
	if p.GetProps() == nil {
		p.SetProps(model.StringInterface{})
	}
	p.GenerateActionIds()
	list := a.s.ephemeral[userID]
	if i := slices.IndexFunc(list, func(q *model.Post) bool { return q.Id == p.Id }); i >= 0 {
		list[i] = p
	} else {
		a.s.ephemeral[userID] = append(list, p)
	}
	return mustRPCCopy(p)
}

// DeleteEphemeralPost removes the user's ephemeral post.
func (a *API) DeleteEphemeralPost(userID, postID string) {
	if failed, _ := a.enter("DeleteEphemeralPost"); failed {
		return
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	a.s.ephemeral[userID] = slices.DeleteFunc(a.s.ephemeral[userID], func(q *model.Post) bool { return q.Id == postID })
}

// ---- reactions ----

// AddReaction adds (or re-adds) a reaction to an undeleted post of an unarchived channel.
func (a *API) AddReaction(reaction *model.Reaction) (*model.Reaction, *model.AppError) {
	const m = "AddReaction"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	r, ok := rpcArg(a, m, reaction)
	if !ok {
		return nil, nil
	}
	if r == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "reaction")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	p, appErr := a.s.livePost(m, r.PostId)
	if appErr != nil {
		return nil, appErr
	}
	if ch := a.s.channels[p.ChannelId]; ch != nil && ch.DeleteAt != 0 {
		return nil, newAppError(m, "api.reaction.save.archived_channel.app_error", http.StatusForbidden, "")
	}
	now := a.s.millis()
	r.PreSave()
	r.CreateAt, r.UpdateAt = now, now
	r.ChannelId = p.ChannelId
	if appErr := r.IsValid(); appErr != nil {
		return nil, appErr
	}
	list := slices.DeleteFunc(a.s.reactions[r.PostId], func(q *model.Reaction) bool {
		return q.UserId == r.UserId && q.EmojiName == r.EmojiName
	})
	a.s.reactions[r.PostId] = append(list, r)
	p.HasReactions = true
	p.UpdateAt = now
	return mustRPCCopy(r), nil
}

// GetReactions returns the post's reactions, oldest first.
func (a *API) GetReactions(postID string) ([]*model.Reaction, *model.AppError) {
	const m = "GetReactions"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*model.Reaction
	for _, r := range a.s.reactions[postID] {
		out = append(out, mustRPCCopy(r))
	}
	return out, nil
}

// RemoveReaction removes the user's reaction with that emoji.
func (a *API) RemoveReaction(reaction *model.Reaction) *model.AppError {
	const m = "RemoveReaction"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	r, ok := rpcArg(a, m, reaction)
	if !ok {
		return nil
	}
	if r == nil {
		return badRequest(m, "api.context.invalid_body_param.app_error", "reaction")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	p, appErr := a.s.livePost(m, r.PostId)
	if appErr != nil {
		return appErr
	}
	a.s.reactions[r.PostId] = slices.DeleteFunc(a.s.reactions[r.PostId], func(q *model.Reaction) bool {
		return q.UserId == r.UserId && q.EmojiName == r.EmojiName
	})
	p.HasReactions = len(a.s.reactions[r.PostId]) > 0
	p.UpdateAt = a.s.millis()
	return nil
}
