package main

import (
	"context"
	"strings"

	"github.com/pkg/errors"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/graph"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/meta"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/relay"
)

// graphSender sends outbox parts through the Graph Send API: text as a message, each
// file of the post as an attachment upload. Every send carries the post ID as
// metadata, which Meta returns in the echo.
type graphSender struct{ p *Plugin }

func (s graphSender) Send(ctx context.Context, it *relay.Item, part relay.Part) (string, error) {
	cfg := s.p.getConfiguration()
	m := &graph.Message{
		PageID:        cfg.PageID,
		Platform:      meta.Platform(it.Platform),
		MessagingType: it.MessagingType,
		Tag:           it.Tag,
		Metadata:      echoMetadata(it.PostID, part.Seq),
	}
	if it.Mode == relay.PrivateReply {
		m.Recipient.CommentID = it.CommentID
	} else {
		m.Recipient.ID = it.RecipientID
	}
	switch part.Kind {
	case relay.PartText:
		m.Text = it.Text
	case relay.PartFile:
		info, appErr := s.p.API.GetFileInfo(part.FileID)
		if appErr != nil {
			return "", errors.Wrap(appErr, "load the attached file")
		}
		data, appErr := s.p.API.GetFile(part.FileID)
		if appErr != nil {
			return "", errors.Wrap(appErr, "read the attached file")
		}
		m.Attachment = &graph.Upload{Type: attachmentType(info.MimeType), Name: info.Name, ContentType: info.MimeType, Data: data}
	}
	res, err := s.p.graph.Send(ctx, m)
	if err != nil {
		return "", err
	}
	return res.MessageID, nil
}

func (s graphSender) Classify(err error) relay.Failure {
	c := graph.Classify(err)
	return relay.Failure{Class: string(c.Class), Reason: c.Reason, Retryable: c.Retryable, Ambiguous: c.Ambiguous, RetryAfter: c.RetryAfter}
}

func attachmentType(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "image"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	}
	return "file"
}
