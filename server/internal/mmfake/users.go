package mmfake

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // profile images are decoded like the server does
	_ "image/jpeg"
	"image/png"
	"slices"
	"sort"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/shared/timezones"
)

// missingAccountError is the server's app.MissingAccountError.
const missingAccountError = "app.user.missing_account.const"

// botUserKey is where app.EnsureBot remembers the bot id in the plugin's KV namespace.
const botUserKey = "mmi_botid"

// defaultProfileImage is returned by GetProfileImage for users without one.
var defaultProfileImage = func() []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		panic(err)
	}
	return buf.Bytes()
}()

// saveUser is User.PreSave + User.IsValid + SqlUserStore.Save. s.mu must be held.
func (s *Server) saveUser(u *model.User, roles string) (*model.User, *model.AppError) {
	if u.Id != "" {
		return nil, badRequest("CreateUser", "app.user.save.existing.app_error", "user_id="+u.Id)
	}
	u.Id = model.NewId()
	if u.Username == "" {
		u.Username = model.NewUsername()
	}
	if u.AuthData != nil && *u.AuthData == "" {
		u.AuthData = nil
	}
	u.Username = model.NormalizeUsername(model.SanitizeUnicode(u.Username))
	u.FirstName = model.SanitizeUnicode(u.FirstName)
	u.LastName = model.SanitizeUnicode(u.LastName)
	u.Nickname = model.SanitizeUnicode(u.Nickname)
	u.Email = model.NormalizeEmail(u.Email)
	if u.CreateAt == 0 {
		u.CreateAt = s.millis()
	}
	u.UpdateAt = u.CreateAt
	u.LastPasswordUpdate = u.CreateAt
	u.MfaActive = false
	if u.Locale == "" {
		u.Locale = model.DefaultLocale
	}
	if u.Props == nil {
		u.Props = map[string]string{}
	}
	if len(u.NotifyProps) == 0 {
		u.SetDefaultNotifications()
	}
	if u.Timezone == nil {
		u.Timezone = timezones.DefaultUserTimezone()
	}
	u.Password = "" // the fake never keeps credentials
	u.Roles = roles
	if appErr := u.IsValid(); appErr != nil {
		return nil, appErr
	}
	if _, taken := s.userByName[u.Username]; taken {
		return nil, badRequest("CreateUser", "app.user.save.username_exists.app_error", "")
	}
	for _, other := range s.users {
		if other.Email == u.Email {
			return nil, badRequest("CreateUser", "app.user.save.email_exists.app_error", "")
		}
	}
	s.users[u.Id] = u
	s.userByName[u.Username] = u.Id
	return u, nil
}

// user looks a user up. s.mu must be held.
func (s *Server) user(where, userID string) (*model.User, *model.AppError) {
	u, ok := s.users[userID]
	if !ok {
		return nil, notFound(where, missingAccountError, "user_id="+userID)
	}
	return u, nil
}

func isSystemAdmin(u *model.User) bool {
	return u != nil && model.IsInRole(u.Roles, model.SystemAdminRoleId)
}

// CreateUser creates a user with the system_user role (system_admin too when it is the
// first account, as on the server) and returns it sanitised.
func (a *API) CreateUser(user *model.User) (*model.User, *model.AppError) {
	const m = "CreateUser"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	u, ok := rpcArg(a, m, user)
	if !ok {
		return nil, nil
	}
	if u == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "user")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	roles := model.SystemUserRoleId
	if len(a.s.users) == 0 {
		roles = model.SystemAdminRoleId + " " + model.SystemUserRoleId
	}
	saved, appErr := a.s.saveUser(u, roles)
	if appErr != nil {
		return nil, appErr
	}
	out := mustRPCCopy(saved)
	out.Sanitize(map[string]bool{})
	return out, nil
}

// GetUser returns the user, 404 when unknown.
func (a *API) GetUser(userID string) (*model.User, *model.AppError) {
	const m = "GetUser"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	u, appErr := a.s.user(m, userID)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(u), nil
}

// GetUserByUsername returns the user, 404 when unknown.
func (a *API) GetUserByUsername(name string) (*model.User, *model.AppError) {
	const m = "GetUserByUsername"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	id, ok := a.s.userByName[strings.ToLower(name)]
	if !ok {
		return nil, notFound(m, "app.user.get_by_username.app_error", "username="+name)
	}
	return mustRPCCopy(a.s.users[id]), nil
}

// GetUserByEmail returns the user, 404 when unknown.
func (a *API) GetUserByEmail(email string) (*model.User, *model.AppError) {
	const m = "GetUserByEmail"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	email = model.NormalizeEmail(email)
	for _, u := range a.s.users {
		if u.Email == email {
			return mustRPCCopy(u), nil
		}
	}
	return nil, notFound(m, missingAccountError, "email="+email)
}

// GetUsersByUsernames returns the users that exist among usernames, sorted by username;
// unknown names are skipped.
func (a *API) GetUsersByUsernames(usernames []string) ([]*model.User, *model.AppError) {
	const m = "GetUsersByUsernames"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*model.User
	seen := map[string]bool{}
	for _, name := range usernames {
		id, ok := a.s.userByName[strings.ToLower(name)]
		if ok && !seen[id] {
			seen[id] = true
			out = append(out, mustRPCCopy(a.s.users[id]))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, nil
}

// GetUsersByIds returns the users that exist among userIDs; unknown ids are skipped.
func (a *API) GetUsersByIds(userIDs []string) ([]*model.User, *model.AppError) {
	const m = "GetUsersByIds"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var out []*model.User
	for _, id := range slices.Compact(slices.Sorted(slices.Values(userIDs))) {
		if u, ok := a.s.users[id]; ok {
			out = append(out, mustRPCCopy(u))
		}
	}
	return out, nil
}

// GetUsersInChannel returns a page of the channel's members, sorted by username;
// sortBy must be "username" or "status".
func (a *API) GetUsersInChannel(channelID, sortBy string, page, perPage int) ([]*model.User, *model.AppError) {
	const m = "GetUsersInChannel"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	if sortBy != model.ChannelSortByUsername && sortBy != model.ChannelSortByStatus {
		return nil, badRequest(m, "plugin.api.get_users_in_channel", "invalid sort option")
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var users []*model.User
	for id := range a.s.channelMembers[channelID] {
		if u, ok := a.s.users[id]; ok {
			users = append(users, u)
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Username < users[j].Username })
	var out []*model.User
	for _, u := range pageOf(users, page, perPage) {
		out = append(out, mustRPCCopy(u))
	}
	return out, nil
}

// pageOf returns items[page*perPage : page*perPage+perPage], clamped.
func pageOf[T any](items []T, page, perPage int) []T {
	if perPage <= 0 || page < 0 {
		return nil
	}
	start := page * perPage
	if start >= len(items) {
		return nil
	}
	return items[start:min(start+perPage, len(items))]
}

// ---- permissions (approximation, see the package documentation) ----

// HasPermissionTo is true only for system admins.
func (a *API) HasPermissionTo(userID string, permission *model.Permission) bool {
	if failed, _ := a.enter("HasPermissionTo"); failed {
		return false
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	return isSystemAdmin(a.s.users[userID])
}

// HasPermissionToTeam is true for system admins and active members of the team.
func (a *API) HasPermissionToTeam(userID, teamID string, permission *model.Permission) bool {
	if failed, _ := a.enter("HasPermissionToTeam"); failed {
		return false
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if isSystemAdmin(a.s.users[userID]) {
		return true
	}
	tm, ok := a.s.teamMembers[teamID][userID]
	return ok && tm.DeleteAt == 0
}

// HasPermissionToChannel is true for system admins and members of the channel.
func (a *API) HasPermissionToChannel(userID, channelID string, permission *model.Permission) bool {
	if failed, _ := a.enter("HasPermissionToChannel"); failed {
		return false
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if isSystemAdmin(a.s.users[userID]) {
		return true
	}
	_, ok := a.s.channelMembers[channelID][userID]
	return ok
}

// ---- profile images ----

// SetProfileImage stores the user's picture; data must decode as PNG, JPEG or GIF.
func (a *API) SetProfileImage(userID string, data []byte) *model.AppError {
	const m = "SetProfileImage"
	if failed, err := a.enter(m); failed {
		return asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	u, appErr := a.s.user(m, userID)
	if appErr != nil {
		return appErr
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
		return badRequest(m, "api.user.upload_profile_user.decode.app_error", err.Error())
	}
	a.s.profileImages[userID] = slices.Clone(data)
	u.LastPictureUpdate = a.s.millis()
	return nil
}

// GetProfileImage returns the user's picture, or a generated default image.
func (a *API) GetProfileImage(userID string) ([]byte, *model.AppError) {
	const m = "GetProfileImage"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if _, appErr := a.s.user(m, userID); appErr != nil {
		return nil, appErr
	}
	if img, ok := a.s.profileImages[userID]; ok {
		return slices.Clone(img), nil
	}
	return slices.Clone(defaultProfileImage), nil
}

// ---- bots ----

// createBot is app.CreateBot without the DM to the owner. s.mu must be held.
func (s *Server) createBot(bot *model.Bot) (*model.Bot, *model.AppError) {
	if appErr := bot.IsValidCreate(); appErr != nil {
		return nil, appErr
	}
	u := model.UserFromBot(bot)
	u.IsBot = true
	u.BotDescription = bot.Description
	saved, appErr := s.saveUser(u, model.SystemUserRoleId)
	if appErr != nil {
		return nil, appErr
	}
	bot.UserId = saved.Id
	bot.PreSave()
	bot.CreateAt = s.millis()
	bot.UpdateAt = bot.CreateAt
	if appErr := bot.IsValid(); appErr != nil {
		delete(s.users, saved.Id)
		delete(s.userByName, saved.Username)
		return nil, appErr
	}
	s.bots[bot.UserId] = bot
	return bot, nil
}

// bot looks a bot up. s.mu must be held.
func (s *Server) bot(userID string, includeDeleted bool) (*model.Bot, *model.AppError) {
	b, ok := s.bots[userID]
	if !ok || (!includeDeleted && b.DeleteAt != 0) {
		return nil, model.MakeBotNotFoundError("SqlBotStore.Get", userID)
	}
	return b, nil
}

// patchBot is app.PatchBot. s.mu must be held.
func (s *Server) patchBot(userID string, patch *model.BotPatch) (*model.Bot, *model.AppError) {
	b, appErr := s.bot(userID, true)
	if appErr != nil {
		return nil, appErr
	}
	if !b.WouldPatch(patch) {
		return b, nil
	}
	u, ok := s.users[userID]
	if !ok {
		return nil, notFound("PatchBot", missingAccountError, "")
	}
	patched := *b
	patched.Patch(patch)
	patched.Username = model.NormalizeUsername(patched.Username)
	if appErr := patched.IsValidCreate(); appErr != nil {
		return nil, appErr
	}
	if other, taken := s.userByName[patched.Username]; taken && other != userID {
		return nil, badRequest("PatchBot", "app.user.save.username_exists.app_error", "")
	}
	now := s.millis()
	delete(s.userByName, u.Username)
	fromBot := model.UserFromBot(&patched)
	u.Username, u.Email, u.FirstName = fromBot.Username, fromBot.Email, fromBot.FirstName
	u.BotDescription = patched.Description
	u.UpdateAt = now
	s.userByName[u.Username] = u.Id
	patched.UpdateAt = now
	*b = patched
	return b, nil
}

// CreateBot creates a bot and its user; OwnerId defaults to the plugin id and must not
// be another bot.
func (a *API) CreateBot(bot *model.Bot) (*model.Bot, *model.AppError) {
	const m = "CreateBot"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	b, ok := rpcArg(a, m, bot)
	if !ok {
		return nil, nil
	}
	if b == nil {
		return nil, badRequest(m, "api.context.invalid_body_param.app_error", "bot")
	}
	if b.OwnerId == "" {
		b.OwnerId = a.pluginID
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if owner, ok := a.s.users[b.OwnerId]; ok && owner.IsBot {
		return nil, badRequest(m, "plugin_api.bot_cant_create_bot", "")
	}
	created, appErr := a.s.createBot(b)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(created), nil
}

// GetBot returns the bot, 404 when unknown or deactivated and !includeDeleted.
func (a *API) GetBot(botUserID string, includeDeleted bool) (*model.Bot, *model.AppError) {
	const m = "GetBot"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	b, appErr := a.s.bot(botUserID, includeDeleted)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(b), nil
}

// PatchBot changes the bot's username, display name or description, and its user.
func (a *API) PatchBot(botUserID string, botPatch *model.BotPatch) (*model.Bot, *model.AppError) {
	const m = "PatchBot"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	p, ok := rpcArg(a, m, botPatch)
	if !ok {
		return nil, nil
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	b, appErr := a.s.patchBot(botUserID, p)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(b), nil
}

// GetBots lists bots ordered by username. Like the SQL query, PerPage is the LIMIT:
// PerPage <= 0 returns nothing.
func (a *API) GetBots(options *model.BotGetOptions) ([]*model.Bot, *model.AppError) {
	const m = "GetBots"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	if options == nil {
		options = &model.BotGetOptions{}
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	var bots []*model.Bot
	for _, b := range a.s.bots {
		if options.OwnerId != "" && b.OwnerId != options.OwnerId {
			continue
		}
		if !options.IncludeDeleted && b.DeleteAt != 0 {
			continue
		}
		if options.OnlyOrphaned {
			if owner, ok := a.s.users[b.OwnerId]; ok && owner.DeleteAt == 0 {
				continue
			}
		}
		bots = append(bots, b)
	}
	sort.Slice(bots, func(i, j int) bool { return bots[i].Username < bots[j].Username })
	var out []*model.Bot
	for _, b := range pageOf(bots, options.Page, options.PerPage) {
		out = append(out, mustRPCCopy(b))
	}
	return out, nil
}

// UpdateBotActive deactivates or reactivates the bot and its user.
func (a *API) UpdateBotActive(botUserID string, active bool) (*model.Bot, *model.AppError) {
	const m = "UpdateBotActive"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	u, ok := a.s.users[botUserID]
	if !ok {
		return nil, notFound("PatchBot", missingAccountError, "")
	}
	b, appErr := a.s.bot(botUserID, true)
	if appErr != nil {
		return nil, appErr
	}
	now := a.s.millis()
	switch {
	case active && b.DeleteAt != 0:
		b.DeleteAt, u.DeleteAt = 0, 0
	case !active && b.DeleteAt == 0:
		b.DeleteAt, u.DeleteAt = now, now
	}
	b.UpdateAt, u.UpdateAt = now, now
	return mustRPCCopy(b), nil
}

// EnsureBotUser returns the plugin's bot, creating it or syncing its username, display
// name and description, as app.EnsureBot does.
func (a *API) EnsureBotUser(bot *model.Bot) (string, error) {
	const m = "EnsureBotUser"
	if failed, err := a.enter(m); failed {
		return "", err
	}
	b, ok := rpcArg(a, m, bot)
	if !ok {
		return "", nil
	}
	if b == nil {
		return "", errors.New("passed a nil bot")
	}
	if b.Username == "" {
		return "", errors.New("passed a bot with no username")
	}
	b.OwnerId = a.pluginID

	a.s.mu.Lock()
	var logAfter func()
	id, err := func() (string, error) {
		if raw := a.s.kvGet(a.pluginID, botUserKey); raw != nil {
			botID := string(raw)
			if _, appErr := a.s.bot(botID, true); appErr == nil {
				patch := &model.BotPatch{Username: &b.Username, DisplayName: &b.DisplayName, Description: &b.Description}
				if _, appErr := a.s.patchBot(botID, patch); appErr != nil {
					return "", fmt.Errorf("failed to patch bot: %w", appErr)
				}
				return botID, nil
			}
		}
		if uid, ok := a.s.userByName[model.NormalizeUsername(b.Username)]; ok {
			u := a.s.users[uid]
			if u.IsBot {
				a.s.kvSpace(a.pluginID)[botUserKey] = kvEntry{value: []byte(u.Id)}
			} else {
				logAfter = a.serverLogLocked("error", "Plugin attempted to use an account that already exists. Convert user to a bot account in the CLI by running 'mattermost user convert <username> --bot'.", "username", b.Username, "user_id", u.Id)
			}
			return u.Id, nil
		}
		created, appErr := a.s.createBot(b)
		if appErr != nil {
			return "", fmt.Errorf("failed to create bot: %w", appErr)
		}
		a.s.kvSpace(a.pluginID)[botUserKey] = kvEntry{value: []byte(created.UserId)}
		return created.UserId, nil
	}()
	a.s.mu.Unlock()
	if logAfter != nil {
		logAfter()
	}
	return id, err
}
