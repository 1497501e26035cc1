package mmfake

import (
	"fmt"
	"sort"

	"github.com/mattermost/mattermost/server/public/model"
)

// offTopicChannelName is the second default channel of a team.
const offTopicChannelName = "off-topic"

// createTeam is app.CreateTeam: Team.PreSave, Team.IsValid, a unique name, then the
// default channels. s.mu must be held.
func (s *Server) createTeam(t *model.Team) (*model.Team, *model.AppError) {
	if t.Id != "" {
		return nil, badRequest("CreateTeam", "app.team.save.existing.app_error", "id="+t.Id)
	}
	t.PreSave()
	t.CreateAt = s.millis()
	t.UpdateAt = t.CreateAt
	if appErr := t.IsValid(); appErr != nil {
		return nil, appErr
	}
	for _, other := range s.teams {
		if other.Name == t.Name {
			return nil, badRequest("CreateTeam", "app.team.save.existing.app_error", "name="+t.Name)
		}
	}
	s.teams[t.Id] = t
	s.teamMembers[t.Id] = map[string]*model.TeamMember{}
	for _, dc := range []struct{ name, display string }{
		{model.DefaultChannelName, "Town Square"},
		{offTopicChannelName, "Off-Topic"},
	} {
		ch := &model.Channel{TeamId: t.Id, Name: dc.name, DisplayName: dc.display, Type: model.ChannelTypeOpen}
		if _, appErr := s.createChannel(ch); appErr != nil {
			return nil, appErr
		}
	}
	return t, nil
}

// team looks a team up. s.mu must be held.
func (s *Server) team(where, teamID string) (*model.Team, *model.AppError) {
	t, ok := s.teams[teamID]
	if !ok {
		return nil, notFound(where, "app.team.get.find.app_error", "team_id="+teamID)
	}
	return t, nil
}

func (s *Server) teamByName(name string) *model.Team {
	for _, t := range s.teams {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// addTeamMember is app.AddTeamMember / JoinUserToTeam: an active member is returned as
// is; otherwise the user (re)joins, is added to the default channels and
// "<username> joined the team." is posted in town-square. s.mu must be held.
func (s *Server) addTeamMember(teamID, userID string) (*model.TeamMember, *model.AppError) {
	if _, appErr := s.team("AddTeamMember", teamID); appErr != nil {
		return nil, appErr
	}
	u, appErr := s.user("AddTeamMember", userID)
	if appErr != nil {
		return nil, appErr
	}
	members := s.teamMembers[teamID]
	tm, ok := members[userID]
	switch {
	case ok && tm.DeleteAt == 0:
		return tm, nil
	case ok:
		tm.DeleteAt = 0
	default:
		tm = &model.TeamMember{
			TeamId:      teamID,
			UserId:      userID,
			Roles:       model.TeamUserRoleId,
			SchemeUser:  !u.IsGuest(),
			SchemeGuest: u.IsGuest(),
			CreateAt:    s.millis(),
		}
		if u.IsGuest() {
			tm.Roles = model.TeamGuestRoleId
		}
		members[userID] = tm
	}
	for _, name := range []string{model.DefaultChannelName, offTopicChannelName} {
		ch := s.channelByName(teamID, name, false)
		if ch == nil {
			continue
		}
		if _, isMember := s.channelMembers[ch.Id][userID]; !isMember {
			s.saveChannelMember(ch, u)
		}
		if name == model.DefaultChannelName {
			msg := fmt.Sprintf("%v joined the team.", u.Username)
			if _, appErr := s.systemPost(ch, u, model.PostTypeJoinTeam, msg, nil); appErr != nil {
				return nil, appErr
			}
		}
	}
	return tm, nil
}

// CreateTeam creates a team and its default channels town-square and off-topic.
func (a *API) CreateTeam(team *model.Team) (*model.Team, *model.AppError) {
	const m = "CreateTeam"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	t, ok := rpcArg(a, m, team)
	if !ok {
		return nil, nil
	}
	if t == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "team")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	created, appErr := a.s.createTeam(t)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(created), nil
}

// GetTeam returns the team, 404 when unknown.
func (a *API) GetTeam(teamID string) (*model.Team, *model.AppError) {
	const m = "GetTeam"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	t, appErr := a.s.team(m, teamID)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(t), nil
}

// GetTeamByName returns the team, 404 when unknown.
func (a *API) GetTeamByName(name string) (*model.Team, *model.AppError) {
	const m = "GetTeamByName"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	t := a.s.teamByName(name)
	if t == nil {
		return nil, notFound(m, "app.team.get_by_name.missing.app_error", "name="+name)
	}
	return mustRPCCopy(t), nil
}

// GetTeams returns every team, ordered by name.
func (a *API) GetTeams() ([]*model.Team, *model.AppError) {
	const m = "GetTeams"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*model.Team
	for _, t := range a.s.teams {
		out = append(out, mustRPCCopy(t))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetTeamsForUser returns the teams the user is an active member of, ordered by name.
func (a *API) GetTeamsForUser(userID string) ([]*model.Team, *model.AppError) {
	const m = "GetTeamsForUser"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*model.Team
	for id, members := range a.s.teamMembers {
		if tm, ok := members[userID]; ok && tm.DeleteAt == 0 {
			out = append(out, mustRPCCopy(a.s.teams[id]))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CreateTeamMember adds the user to the team (default channels and join message
// included); an existing active membership is returned unchanged.
func (a *API) CreateTeamMember(teamID, userID string) (*model.TeamMember, *model.AppError) {
	const m = "CreateTeamMember"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	tm, appErr := a.s.addTeamMember(teamID, userID)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(tm), nil
}

// GetTeamMember returns the membership, including one of a user who left (DeleteAt set);
// 404 when there is none.
func (a *API) GetTeamMember(teamID, userID string) (*model.TeamMember, *model.AppError) {
	const m = "GetTeamMember"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	tm, ok := a.s.teamMembers[teamID][userID]
	if !ok {
		return nil, notFound(m, "app.team.get_member.missing.app_error", "team_id="+teamID+" user_id="+userID)
	}
	return mustRPCCopy(tm), nil
}

// GetTeamMembers returns a page of the team's active members ordered by user id.
func (a *API) GetTeamMembers(teamID string, page, perPage int) ([]*model.TeamMember, *model.AppError) {
	const m = "GetTeamMembers"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var members []*model.TeamMember
	for _, tm := range a.s.teamMembers[teamID] {
		if tm.DeleteAt == 0 {
			members = append(members, tm)
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].UserId < members[j].UserId })
	var out []*model.TeamMember
	for _, tm := range pageOf(members, page, perPage) {
		out = append(out, mustRPCCopy(tm))
	}
	return out, nil
}
