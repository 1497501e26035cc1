package mmfake

import (
	"bytes"
	"image"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// UploadFile stores data as a file of the channel (which must exist unless channelID
// is empty) and returns its info. Attach it by listing its id in a post's FileIds.
func (a *API) UploadFile(data []byte, channelID, filename string) (*model.FileInfo, *model.AppError) {
	const m = "UploadFile"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if _, ok := a.s.channels[channelID]; !ok && channelID != "" {
		return nil, badRequest(m, "api.file.upload_file.incorrect_channelId.app_error", "channel_id="+channelID)
	}
	if limit := *a.s.cfg.FileSettings.MaxFileSize; int64(len(data)) > limit {
		return nil, newAppError(m, "api.file.upload_file.too_large_detailed.app_error", http.StatusRequestEntityTooLarge, "")
	}
	now := a.s.millis()
	name := filepath.Base(filename)
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(name), "."))
	info := &model.FileInfo{
		Id:        model.NewId(),
		CreatorId: "nouser",
		ChannelId: channelID,
		CreateAt:  now,
		UpdateAt:  now,
		Name:      name,
		Extension: ext,
		Size:      int64(len(data)),
		MimeType:  mime.TypeByExtension("." + ext),
	}
	info.Path = time.UnixMilli(now).UTC().Format("20060102") + "/teams/noteam/channels/" + channelID + "/users/nouser/" + info.Id + "/" + name
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		info.Width, info.Height, info.HasPreviewImage = cfg.Width, cfg.Height, true
	}
	a.s.files[info.Id] = &storedFile{info: info, data: slices.Clone(data)}
	return mustRPCCopy(info), nil
}

// storedFileFor returns an undeleted file or a 404. s.mu must be held.
func (s *Server) storedFileFor(where, fileID string) (*storedFile, *model.AppError) {
	f, ok := s.files[fileID]
	if !ok || f.info.DeleteAt != 0 {
		return nil, notFound(where, "app.file_info.get.app_error", "file_id="+fileID)
	}
	return f, nil
}

// GetFileInfo returns the file's info, 404 when unknown or deleted.
func (a *API) GetFileInfo(fileID string) (*model.FileInfo, *model.AppError) {
	const m = "GetFileInfo"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	f, appErr := a.s.storedFileFor(m, fileID)
	if appErr != nil {
		return nil, appErr
	}
	return mustRPCCopy(f.info), nil
}

// GetFile returns a copy of the file's bytes, 404 when unknown or deleted.
func (a *API) GetFile(fileID string) ([]byte, *model.AppError) {
	const m = "GetFile"
	if failed, err := a.enter(m); failed {
		return nil, asAppError(m, err)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	f, appErr := a.s.storedFileFor(m, fileID)
	if appErr != nil {
		return nil, appErr
	}
	return slices.Clone(f.data), nil
}
