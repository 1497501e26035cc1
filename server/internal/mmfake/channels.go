package mmfake

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// channelExistsError is store.ChannelExistsError.
const channelExistsError = "store.sql_channel.save_channel.exists.app_error"

// createChannel is app.CreateChannel(addMember=false) over SqlChannelStore.Save. On a
// duplicate name it returns the existing channel together with the error, as the
// server does. s.mu must be held.
func (s *Server) createChannel(ch *model.Channel) (*model.Channel, *model.AppError) {
	const where = "CreateChannel"
	ch.DisplayName = strings.TrimSpace(ch.DisplayName)
	if ch.DeleteAt != 0 {
		return nil, badRequest(where, "store.sql_channel.save.archived_channel.app_error", "")
	}
	if ch.Type == model.ChannelTypeDirect {
		return nil, badRequest(where, "store.sql_channel.save.direct_channel.app_error", "")
	}
	if ch.Id != "" {
		return nil, badRequest(where, "store.sql_channel.save_channel.existing.app_error", "id="+ch.Id)
	}
	if ch.CreateAt == 0 {
		ch.CreateAt = s.millis()
	}
	ch.PreSave()
	if appErr := ch.IsValid(); appErr != nil {
		return nil, appErr
	}
	if ch.Type != model.ChannelTypeDirect && ch.Type != model.ChannelTypeGroup {
		if limit := *s.cfg.TeamSettings.MaxChannelsPerTeam; limit >= 0 {
			count := int64(0)
			for _, other := range s.channels {
				if other.TeamId == ch.TeamId && other.DeleteAt == 0 &&
					(other.Type == model.ChannelTypeOpen || other.Type == model.ChannelTypePrivate) {
					count++
				}
			}
			if count >= limit {
				return nil, badRequest(where, "store.sql_channel.save_channel.limit.app_error", fmt.Sprintf("teamId=%s count=%d", ch.TeamId, count))
			}
		}
	}
	if dup := s.channelByName(ch.TeamId, ch.Name, true); dup != nil {
		return mustRPCCopy(dup), badRequest(where, channelExistsError, "name="+ch.Name)
	}
	s.channels[ch.Id] = ch
	s.channelMembers[ch.Id] = map[string]*model.ChannelMember{}
	return ch, nil
}

// channel looks a channel up. s.mu must be held.
func (s *Server) channel(where, channelID string) (*model.Channel, *model.AppError) {
	ch, ok := s.channels[channelID]
	if !ok {
		return nil, notFound(where, "app.channel.get.existing.app_error", "channel_id="+channelID)
	}
	return ch, nil
}

// channelByName finds a channel of a team by name. s.mu must be held.
func (s *Server) channelByName(teamID, name string, includeDeleted bool) *model.Channel {
	for _, ch := range s.channels {
		if ch.TeamId == teamID && ch.Name == name && (includeDeleted || ch.DeleteAt == 0) {
			return ch
		}
	}
	return nil
}

// saveChannelMember stores a new membership. s.mu must be held.
func (s *Server) saveChannelMember(ch *model.Channel, u *model.User) *model.ChannelMember {
	cm := &model.ChannelMember{
		ChannelId:    ch.Id,
		UserId:       u.Id,
		Roles:        model.ChannelUserRoleId,
		NotifyProps:  model.GetDefaultChannelNotifyProps(),
		SchemeGuest:  u.IsGuest(),
		SchemeUser:   !u.IsGuest(),
		LastUpdateAt: s.millis(),
	}
	if u.IsGuest() {
		cm.Roles = model.ChannelGuestRoleId
	}
	if s.channelMembers[ch.Id] == nil {
		s.channelMembers[ch.Id] = map[string]*model.ChannelMember{}
	}
	s.channelMembers[ch.Id][u.Id] = cm
	return cm
}

// addChannelMember is app.AddChannelMember / AddUserToChannel / addUserToChannel: an
// existing member is returned as is; otherwise the user must be an active member of the
// channel's team and the channel an open or private, unarchived one. A join message
// (or "added by" message when requestorID is another user) is posted. s.mu must be held.
func (s *Server) addChannelMember(channelID, userID, requestorID string) (*model.ChannelMember, *model.AppError) {
	const where = "AddUserToChannel"
	ch, appErr := s.channel("GetChannel", channelID)
	if appErr != nil {
		return nil, appErr
	}
	if cm, ok := s.channelMembers[ch.Id][userID]; ok {
		return cm, nil
	}
	u, appErr := s.user("AddChannelMember", userID)
	if appErr != nil {
		return nil, appErr
	}
	var requestor *model.User
	if requestorID != "" {
		if requestor, appErr = s.user("AddChannelMember", requestorID); appErr != nil {
			return nil, appErr
		}
	}
	tm, ok := s.teamMembers[ch.TeamId][userID]
	if !ok {
		return nil, notFound(where, "app.team.get_member.missing.app_error", "team_id="+ch.TeamId+" user_id="+userID)
	}
	if tm.DeleteAt > 0 {
		return nil, badRequest(where, "api.channel.add_user.to.channel.failed.deleted.app_error", "")
	}
	if ch.DeleteAt > 0 {
		return nil, badRequest(where, "api.channel.add_user_to_channel.deleted.app_error", "")
	}
	if ch.Type != model.ChannelTypeOpen && ch.Type != model.ChannelTypePrivate {
		return nil, badRequest(where, "api.channel.add_user_to_channel.type.app_error", "")
	}
	cm := s.saveChannelMember(ch, u)
	if requestor == nil || requestor.Id == u.Id {
		msg := fmt.Sprintf("%v joined the channel.", u.Username)
		if _, appErr := s.systemPost(ch, u, model.PostTypeJoinChannel, msg, nil); appErr != nil {
			return nil, appErr
		}
	} else {
		msg := fmt.Sprintf("%v added to the channel by %v.", u.Username, requestor.Username)
		props := model.StringInterface{
			"userId":        requestor.Id,
			"username":      requestor.Username,
			"addedUserId":   u.Id,
			"addedUsername": u.Username,
		}
		if _, appErr := s.systemPost(ch, requestor, model.PostTypeAddToChannel, msg, props); appErr != nil {
			return nil, appErr
		}
	}
	return cm, nil
}

// leaveChannel is app.LeaveChannel: the user leaves and "@<username> left the channel."
// is posted. s.mu must be held.
func (s *Server) leaveChannel(channelID, userID string) *model.AppError {
	const where = "LeaveChannel"
	ch, appErr := s.channel(where, channelID)
	if appErr != nil {
		return appErr
	}
	u, appErr := s.user(where, userID)
	if appErr != nil {
		return appErr
	}
	if ch.IsGroupOrDirect() {
		return badRequest(where, "api.channel.leave.direct.app_error", "")
	}
	if ch.Type == model.ChannelTypePrivate && s.activeMemberCount(ch.Id) == 1 {
		return badRequest(where, "api.channel.leave.last_member.app_error", "userId="+u.Id)
	}
	if ch.Name == model.DefaultChannelName && !u.IsGuest() {
		return badRequest("RemoveUserFromChannel", "api.channel.remove.default.app_error", "")
	}
	if _, ok := s.channelMembers[ch.Id][userID]; !ok {
		return notFound("GetChannelMember", "app.channel.get_member.missing.app_error", "")
	}
	delete(s.channelMembers[ch.Id], userID)
	msg := fmt.Sprintf("%v left the channel.", "@"+u.Username)
	_, appErr = s.systemPost(ch, u, model.PostTypeLeaveChannel, msg, nil)
	return appErr
}

// activeMemberCount counts members whose account is active. s.mu must be held.
func (s *Server) activeMemberCount(channelID string) int64 {
	n := int64(0)
	for id := range s.channelMembers[channelID] {
		if u, ok := s.users[id]; ok && u.DeleteAt == 0 {
			n++
		}
	}
	return n
}

// CreateChannel creates an open or private channel. The creator is not added as a
// member. A duplicate name in the team returns the existing channel and
// store.sql_channel.save_channel.exists.app_error (400).
func (a *API) CreateChannel(channel *model.Channel) (*model.Channel, *model.AppError) {
	const m = "CreateChannel"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	ch, ok := rpcArg(a, m, channel)
	if !ok {
		return nil, nil
	}
	if ch == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "channel")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	created, appErr := a.s.createChannel(ch)
	if appErr != nil {
		return created, appErr
	}
	return mustRPCCopy(created), nil
}

// GetChannel returns the channel (archived ones too), 404 when unknown.
func (a *API) GetChannel(channelID string) (*model.Channel, *model.AppError) {
	const m = "GetChannel"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	ch, appErr := a.s.channel(m, channelID)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(ch), nil
}

// GetChannelByName returns the team's channel by name, 404 when unknown (or archived
// and !includeDeleted).
func (a *API) GetChannelByName(teamID, name string, includeDeleted bool) (*model.Channel, *model.AppError) {
	const m = "GetChannelByName"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	ch := a.s.channelByName(teamID, name, includeDeleted)
	if ch == nil {
		return nil, notFound(m, "app.channel.get_by_name.missing.app_error", "name="+name)
	}
	return mustRPCCopy(ch), nil
}

// GetChannelByNameForTeamName is GetChannelByName with the team given by name.
func (a *API) GetChannelByNameForTeamName(teamName, channelName string, includeDeleted bool) (*model.Channel, *model.AppError) {
	const m = "GetChannelByNameForTeamName"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	t := a.s.teamByName(teamName)
	if t == nil {
		return nil, notFound(m, "app.team.get_by_name.missing.app_error", "name="+teamName)
	}
	ch := a.s.channelByName(t.Id, channelName, includeDeleted)
	if ch == nil {
		return nil, notFound(m, "app.channel.get_by_name.missing.app_error", "name="+channelName)
	}
	return mustRPCCopy(ch), nil
}

// UpdateChannel writes the whole channel row as given (UpdateAt bumped). Like the SQL
// UPDATE, an unknown id changes nothing and is not an error. An archived channel or a
// name taken in the team is refused with app.channel.update.bad_id (400).
func (a *API) UpdateChannel(channel *model.Channel) (*model.Channel, *model.AppError) {
	const m = "UpdateChannel"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	ch, ok := rpcArg(a, m, channel)
	if !ok {
		return nil, nil
	}
	if ch == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "channel")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	ch.PreUpdate()
	ch.UpdateAt = a.s.millis()
	if ch.DeleteAt != 0 {
		return nil, badRequest(m, "app.channel.update.bad_id", "archived channel")
	}
	if appErr := ch.IsValid(); appErr != nil {
		return nil, appErr
	}
	if dup := a.s.channelByName(ch.TeamId, ch.Name, true); dup != nil && dup.Id != ch.Id {
		return nil, badRequest(m, "app.channel.update.bad_id", "name="+ch.Name)
	}
	if _, exists := a.s.channels[ch.Id]; exists {
		a.s.channels[ch.Id] = ch
	}
	return mustRPCCopy(ch), nil
}

// DeleteChannel archives the channel (DeleteAt set). Archiving twice or archiving
// town-square is refused.
func (a *API) DeleteChannel(channelID string) *model.AppError {
	const m = "DeleteChannel"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	ch, appErr := a.s.channel("GetChannel", channelID)
	if appErr != nil {
		return appErr
	}
	if ch.DeleteAt > 0 {
		return badRequest(m, "api.channel.delete_channel.deleted.app_error", "")
	}
	if ch.Name == model.DefaultChannelName {
		return badRequest(m, "api.channel.delete_channel.cannot.app_error", "")
	}
	now := a.s.millis()
	ch.DeleteAt, ch.UpdateAt = now, now
	return nil
}

// RestoreChannel unarchives the channel.
func (a *API) RestoreChannel(channelID string) *model.AppError {
	const m = "RestoreChannel"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	ch, appErr := a.s.channel("GetChannel", channelID)
	if appErr != nil {
		return appErr
	}
	if ch.DeleteAt == 0 {
		return badRequest(m, "api.channel.restore_channel.restored.app_error", "")
	}
	ch.DeleteAt, ch.UpdateAt = 0, a.s.millis()
	return nil
}

// AddChannelMember adds the user to the channel and posts "<username> joined the
// channel."; an existing member is returned unchanged. The user must be an active
// member of the channel's team (404 otherwise, 400 if they left it) and the channel an
// unarchived open or private one.
func (a *API) AddChannelMember(channelID, userID string) (*model.ChannelMember, *model.AppError) {
	const m = "AddChannelMember"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	cm, appErr := a.s.addChannelMember(channelID, userID, "")
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(cm), nil
}

// AddUserToChannel adds the user on behalf of asUserID ("added to the channel by").
func (a *API) AddUserToChannel(channelID, userID, asUserID string) (*model.ChannelMember, *model.AppError) {
	const m = "AddUserToChannel"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	cm, appErr := a.s.addChannelMember(channelID, userID, asUserID)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(cm), nil
}

// GetChannelMember returns the membership, 404 when the user is not a member.
func (a *API) GetChannelMember(channelID, userID string) (*model.ChannelMember, *model.AppError) {
	const m = "GetChannelMember"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	cm, ok := a.s.channelMembers[channelID][userID]
	if !ok {
		return nil, notFound(m, "app.channel.get_member.missing.app_error", "channel_id="+channelID+" user_id="+userID)
	}
	return mustRPCCopy(cm), nil
}

// sortedMembers returns the channel's memberships ordered by user id. s.mu must be held.
func (s *Server) sortedMembers(channelID string) []*model.ChannelMember {
	var members []*model.ChannelMember
	for _, cm := range s.channelMembers[channelID] {
		members = append(members, cm)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].UserId < members[j].UserId })
	return members
}

// GetChannelMembers returns a page of memberships ordered by user id.
func (a *API) GetChannelMembers(channelID string, page, perPage int) (model.ChannelMembers, *model.AppError) {
	const m = "GetChannelMembers"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out model.ChannelMembers
	for _, cm := range pageOf(a.s.sortedMembers(channelID), page, perPage) {
		out = append(out, *mustRPCCopy(cm))
	}
	return out, nil
}

// GetChannelMembersByIds returns the memberships of the listed users that exist.
func (a *API) GetChannelMembersByIds(channelID string, userIDs []string) (model.ChannelMembers, *model.AppError) {
	const m = "GetChannelMembersByIds"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	want := map[string]bool{}
	for _, id := range userIDs {
		want[id] = true
	}
	var out model.ChannelMembers
	for _, cm := range a.s.sortedMembers(channelID) {
		if want[cm.UserId] {
			out = append(out, *mustRPCCopy(cm))
		}
	}
	return out, nil
}

// DeleteChannelMember makes the user leave the channel (app.LeaveChannel).
func (a *API) DeleteChannelMember(channelID, userID string) *model.AppError {
	const m = "DeleteChannelMember"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return a.s.leaveChannel(channelID, userID)
}

// GetChannelsForTeamForUser returns the channels of the team (and DMs/GMs) the user is
// a member of, ordered by display name; 404 when there are none.
func (a *API) GetChannelsForTeamForUser(teamID, userID string, includeDeleted bool) ([]*model.Channel, *model.AppError) {
	const m = "GetChannelsForTeamForUser"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*model.Channel
	for _, ch := range a.s.channels {
		if teamID != "" && ch.TeamId != teamID && ch.TeamId != "" {
			continue
		}
		if !includeDeleted && ch.DeleteAt != 0 {
			continue
		}
		if _, member := a.s.channelMembers[ch.Id][userID]; member {
			out = append(out, mustRPCCopy(ch))
		}
	}
	if len(out) == 0 {
		return nil, notFound(m, "app.channel.get_channels.not_found.app_error", "userId="+userID)
	}
	sortChannels(out)
	return out, nil
}

// GetPublicChannelsForTeam returns a page of the team's open, unarchived channels,
// ordered by display name.
func (a *API) GetPublicChannelsForTeam(teamID string, page, perPage int) ([]*model.Channel, *model.AppError) {
	const m = "GetPublicChannelsForTeam"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var all []*model.Channel
	for _, ch := range a.s.channels {
		if ch.TeamId == teamID && ch.Type == model.ChannelTypeOpen && ch.DeleteAt == 0 {
			all = append(all, ch)
		}
	}
	sortChannels(all)
	var out []*model.Channel
	for _, ch := range pageOf(all, page, perPage) {
		out = append(out, mustRPCCopy(ch))
	}
	return out, nil
}

func sortChannels(chs []*model.Channel) {
	sort.Slice(chs, func(i, j int) bool {
		if chs[i].DisplayName != chs[j].DisplayName {
			return chs[i].DisplayName < chs[j].DisplayName
		}
		return chs[i].Id < chs[j].Id
	})
}

// GetChannelStats counts the channel's active members, guests and pinned posts.
func (a *API) GetChannelStats(channelID string) (*model.ChannelStats, *model.AppError) {
	const m = "GetChannelStats"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	stats := &model.ChannelStats{ChannelId: channelID, MemberCount: a.s.activeMemberCount(channelID)}
	for id := range a.s.channelMembers[channelID] {
		if u, ok := a.s.users[id]; ok && u.DeleteAt == 0 && u.IsGuest() {
			stats.GuestCount++
		}
	}
	for _, id := range a.s.channelPosts[channelID] {
		if p := a.s.posts[id]; p.IsPinned && p.DeleteAt == 0 {
			stats.PinnedPostCount++
		}
	}
	return stats, nil
}
