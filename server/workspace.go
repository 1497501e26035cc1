package main

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/intake"
)

// Post props the plugin stamps on its posts.
const (
	propNativeID = "social_inbox_native_id"
	propKind     = "social_inbox_kind"
	propLeadID   = "social_inbox_lead_id"
)

const errChannelExists = "store.sql_channel.save_channel.exists.app_error"
const errChannelLimit = "store.sql_channel.save_channel.limit.app_error"

// workspace is the Mattermost side of intake: the team, the queue channel, lead
// channels, posts and files. It caches IDs that never change for a configuration
// (team, queue channel); the KV store stays the source of truth for everything else.
type workspace struct {
	p *Plugin

	mu sync.Mutex
	// queueMu serialises setting up the queue channel on this node.
	queueMu   sync.Mutex
	teamID    string
	teamName  string
	queueID   string
	botInTeam bool
	usernames map[string]string
}

func newWorkspace(p *Plugin) *workspace {
	return &workspace{p: p, usernames: map[string]string{}}
}

// reset forgets cached IDs after a configuration change.
func (w *workspace) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.teamID, w.teamName, w.queueID, w.botInTeam = "", "", "", false
}

func (w *workspace) team() (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.teamID != "" {
		return w.teamID, nil
	}
	name := w.p.getConfiguration().TeamName
	if name == "" {
		return "", errors.New("no team is configured for lead channels (System Console > Plugins > Social Inbox > Team)")
	}
	team, appErr := w.p.API.GetTeamByName(name)
	if appErr != nil {
		return "", errors.Wrapf(appErr, "find team %q; check the Team setting", name)
	}
	if !w.botInTeam {
		if _, appErr := w.p.API.CreateTeamMember(team.Id, w.p.botUserID); appErr != nil {
			return "", errors.Wrap(appErr, "add the Social Inbox bot to the team")
		}
		w.botInTeam = true
	}
	w.teamID, w.teamName = team.Id, team.Name
	return w.teamID, nil
}

// TeamName is the name (the URL part) of the team that holds lead channels. It is the
// resolved team's own name, not the setting as typed, so that links built from it work.
func (w *workspace) TeamName() (string, error) {
	if _, err := w.team(); err != nil {
		return "", err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.teamName, nil
}

// QueueChannelID returns the queue channel, creating it (private) when it is missing.
func (w *workspace) QueueChannelID() (string, error) {
	w.mu.Lock()
	id := w.queueID
	w.mu.Unlock()
	if id != "" {
		return id, nil
	}
	w.queueMu.Lock()
	defer w.queueMu.Unlock()
	w.mu.Lock()
	id = w.queueID
	w.mu.Unlock()
	if id != "" {
		return id, nil
	}
	teamID, err := w.team()
	if err != nil {
		return "", err
	}
	name := w.p.getConfiguration().queueChannelName()
	ch, appErr := w.p.API.GetChannelByName(teamID, name, false)
	if appErr != nil && appErr.StatusCode != http.StatusNotFound {
		return "", errors.Wrapf(appErr, "find queue channel %q", name)
	}
	if ch == nil {
		ch, appErr = w.p.API.CreateChannel(&model.Channel{
			TeamId:      teamID,
			Type:        model.ChannelTypePrivate,
			Name:        name,
			DisplayName: "Social Inbox queue",
			Purpose:     "New Facebook and Instagram leads are announced here. Members of this channel are the operator pool.",
			CreatorId:   w.p.botUserID,
		})
		if appErr != nil && appErr.Id == errChannelExists {
			// Another node created it a moment ago.
			ch, appErr = w.p.API.GetChannelByName(teamID, name, false)
		}
		if appErr != nil {
			return "", errors.Wrapf(appErr, "create queue channel %q", name)
		}
	}
	if err := w.ensureMember(ch.Id, w.p.botUserID); err != nil {
		return "", errors.Wrap(err, "add the bot to the queue channel")
	}
	w.mu.Lock()
	w.queueID = ch.Id
	w.mu.Unlock()
	return ch.Id, nil
}

// operators lists the operator pool: the human members of the queue channel.
func (w *workspace) operators(queueID string) ([]string, error) {
	var out []string
	const perPage = 200
	for page := 0; ; page++ {
		users, appErr := w.p.API.GetUsersInChannel(queueID, "username", page, perPage)
		if appErr != nil {
			return nil, errors.Wrap(appErr, "list operator pool")
		}
		for _, u := range users {
			if !u.IsBot && u.DeleteAt == 0 {
				out = append(out, u.Id)
			}
		}
		if len(users) < perPage {
			return out, nil
		}
	}
}

// ensureMember adds a user to a channel. Another node (or goroutine) adding the same
// member at the same moment makes the server report a duplicate; being a member is
// what counts, so that is checked before giving up.
func (w *workspace) ensureMember(channelID, userID string) error {
	_, appErr := w.p.API.AddChannelMember(channelID, userID)
	if appErr == nil {
		return nil
	}
	if member, err := w.p.API.GetChannelMember(channelID, userID); err == nil && member != nil {
		return nil
	}
	return appErr
}

// leadAccess is what the rule of who may work leads knows about a user.
type leadAccess struct {
	// Admin: a system admin.
	Admin bool
	// Operator: an active, human member of the operator pool (the queue channel).
	Operator bool
}

// mayWorkLeads is the one rule of who may see and work leads, applied by the card
// buttons, the REST API and /social alike: system admins and the operator pool.
func (a leadAccess) mayWorkLeads() bool { return a.Admin || a.Operator }

// accessOf reads the facts the rule needs. Bots and deactivated accounts are never
// operators: the pool is people, and lead channels only add people (operators).
func (p *Plugin) accessOf(u *model.User) (leadAccess, error) {
	a := leadAccess{Admin: p.API.HasPermissionTo(u.Id, model.PermissionManageSystem)}
	if u.IsBot || u.DeleteAt != 0 {
		return a, nil
	}
	op, err := p.workspace.isOperator(u.Id)
	if err != nil {
		return leadAccess{}, err
	}
	a.Operator = op
	return a, nil
}

// accessOfID is accessOf for a user ID, such as the server-set Mattermost-User-Id. An
// unknown user has no access (and a nil user).
func (p *Plugin) accessOfID(userID string) (*model.User, leadAccess, error) {
	u, appErr := p.API.GetUser(userID)
	if appErr != nil {
		if appErr.StatusCode == http.StatusNotFound {
			return nil, leadAccess{}, nil
		}
		return nil, leadAccess{}, errors.Wrap(appErr, "load user")
	}
	a, err := p.accessOf(u)
	return u, a, err
}

// notOperatorText tells someone outside the pool how to get in.
func (p *Plugin) notOperatorText() string {
	return "Only members of the operator pool (~" + p.getConfiguration().queueChannelName() + ") can work leads. Ask an admin to add you."
}

// isOperator reports whether the user is in the operator pool.
func (w *workspace) isOperator(userID string) (bool, error) {
	queueID, err := w.QueueChannelID()
	if err != nil {
		return false, err
	}
	member, appErr := w.p.API.GetChannelMember(queueID, userID)
	if appErr != nil {
		if appErr.StatusCode == http.StatusNotFound {
			return false, nil
		}
		return false, errors.Wrap(appErr, "check operator pool membership")
	}
	return member != nil, nil
}

// CreateLeadChannel creates the private lead channel, or adopts the one an earlier
// attempt created under the same deterministic name, and adds the bot and operators.
func (w *workspace) CreateLeadChannel(_ context.Context, spec intake.ChannelSpec) (string, error) {
	teamID, err := w.team()
	if err != nil {
		return "", err
	}
	queueID, err := w.QueueChannelID()
	if err != nil {
		return "", err
	}
	ch, appErr := w.p.API.CreateChannel(&model.Channel{
		TeamId:      teamID,
		Type:        model.ChannelTypePrivate,
		Name:        spec.Name,
		DisplayName: spec.DisplayName,
		Purpose:     spec.Purpose,
		Header:      spec.Header,
		CreatorId:   w.p.botUserID,
	})
	switch {
	case appErr != nil && appErr.Id == errChannelExists:
		ch, appErr = w.p.API.GetChannelByName(teamID, spec.Name, true)
		if appErr != nil {
			return "", errors.Wrap(appErr, "find the lead channel an earlier attempt created")
		}
		if ch.DeleteAt != 0 {
			return "", errors.Errorf("lead channel %q exists but is archived; unarchive it in Mattermost", spec.Name)
		}
	case appErr != nil && appErr.Id == errChannelLimit:
		return "", errors.New("the team has reached its channel limit (TeamSettings.MaxChannelsPerTeam); archive closed lead channels or raise the limit")
	case appErr != nil:
		return "", errors.Wrap(appErr, "create lead channel")
	}
	// The plugin API does not make the creator a member.
	if err := w.ensureMember(ch.Id, w.p.botUserID); err != nil {
		return "", errors.Wrap(err, "add the bot to the lead channel")
	}
	ops, err := w.operators(queueID)
	if err != nil {
		return "", err
	}
	for _, userID := range ops {
		if err := w.ensureMember(ch.Id, userID); err != nil {
			w.p.API.LogWarn("could not add an operator to a lead channel", "user_id", userID, "channel_id", ch.Id, "error", err.Error())
		}
	}
	return ch.Id, nil
}

func (w *workspace) toModelPost(p *intake.Post, post *model.Post) {
	if !p.KeepMessage {
		post.Message = p.Message
	}
	post.AddProp(propKind, p.Kind)
	post.AddProp(propLeadID, p.LeadID)
	if p.NativeID != "" {
		post.AddProp(propNativeID, p.NativeID)
	}
	// Buyer text must not ping @channel/@all/@here (mentions are also neutralised).
	post.AddProp(model.PostPropsGroupHighlightDisabled, true)
	if p.Card != nil {
		post.AddProp(model.PostPropsAttachments, []*model.MessageAttachment{w.p.renderCard(p.Card)})
	}
}

func (w *workspace) CreatePost(p *intake.Post) (string, error) {
	post := &model.Post{UserId: w.p.botUserID, ChannelId: p.ChannelID, FileIds: p.FileIDs}
	w.toModelPost(p, post)
	created, appErr := w.p.API.CreatePost(post)
	if appErr != nil {
		return "", errors.Wrap(appErr, "create post")
	}
	return created.Id, nil
}

func (w *workspace) UpdatePost(postID string, p *intake.Post) error {
	post, appErr := w.p.API.GetPost(postID)
	if appErr != nil {
		return errors.Wrap(appErr, "load post to update")
	}
	w.toModelPost(p, post)
	if _, appErr := w.p.API.UpdatePost(post); appErr != nil {
		return errors.Wrap(appErr, "update post")
	}
	return nil
}

func (w *workspace) FindPost(channelID, nativeID string, since time.Time) (string, bool, error) {
	list, appErr := w.p.API.GetPostsSince(channelID, since.UnixMilli())
	if appErr != nil {
		return "", false, errors.Wrap(appErr, "list recent posts")
	}
	if list == nil {
		return "", false, nil
	}
	for _, post := range list.Posts {
		if post.UserId == w.p.botUserID && post.DeleteAt == 0 {
			if v, _ := post.GetProp(propNativeID).(string); v == nativeID {
				return post.Id, true, nil
			}
		}
	}
	return "", false, nil
}

func (w *workspace) UploadFile(channelID, name string, data []byte) (string, error) {
	info, appErr := w.p.API.UploadFile(data, channelID, name)
	if appErr != nil {
		return "", errors.Wrap(appErr, "upload file")
	}
	return info.Id, nil
}

// LeadUpdated tells the lead channel's members (the operators) that the lead changed.
func (w *workspace) LeadUpdated(leadID, channelID string) {
	if channelID == "" {
		return
	}
	w.p.API.PublishWebSocketEvent("lead_updated", map[string]any{"lead_id": leadID, "channel_id": channelID},
		&model.WebsocketBroadcast{ChannelId: channelID})
}

// deliveryEvent is the payload of delivery_updated. It crosses the plugin RPC (gob),
// so it holds only strings and a bool.
type deliveryEvent struct {
	PostID    string
	LeadID    string
	ChannelID string
	State     string
	Error     string
	Retryable bool
	Attempts  int
	NextAt    int64
	UpdatedAt int64
}

// DeliveryUpdated tells the lead channel's members (the operators) that a reply's
// delivery state changed, so the state under the post follows without polling.
func (w *workspace) DeliveryUpdated(ev deliveryEvent) {
	if ev.ChannelID == "" {
		return
	}
	w.p.API.PublishWebSocketEvent("delivery_updated", map[string]any{
		"post_id":    ev.PostID,
		"lead_id":    ev.LeadID,
		"channel_id": ev.ChannelID,
		"state":      ev.State,
		"error":      ev.Error,
		"retryable":  ev.Retryable,
		"attempts":   ev.Attempts,
		"next_at":    ev.NextAt,
		"updated_at": ev.UpdatedAt,
	}, &model.WebsocketBroadcast{ChannelId: ev.ChannelID})
}

// username returns "@name" for a user ID, or "a former user" when the account is gone.
func (w *workspace) username(userID string) string {
	name, ok := w.bareUsername(userID)
	if !ok {
		return "a former user"
	}
	return "@" + name
}

// bareUsername returns the username without "@", cached per node (usernames rarely
// change and a stale one only affects a label); ok is false when the user is unknown.
func (w *workspace) bareUsername(userID string) (string, bool) {
	w.mu.Lock()
	name, ok := w.usernames[userID]
	w.mu.Unlock()
	if ok {
		return name, true
	}
	user, appErr := w.p.API.GetUser(userID)
	if appErr != nil {
		return "", false
	}
	w.mu.Lock()
	w.usernames[userID] = user.Username
	w.mu.Unlock()
	return user.Username, true
}

func trimTo(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
