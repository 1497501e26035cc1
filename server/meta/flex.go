package meta

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// FlexString decodes a JSON string or number into a string. Meta sends IDs as strings,
// but echo app_id and sticker_id are numbers and some payloads mix the two.
type FlexString string

// UnmarshalJSON accepts a string, a number, or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = FlexString(n.String())
	return nil
}

// FlexInt decodes a JSON number, a numeric string, an ISO-8601 time string (as Unix
// seconds) or null into an int64. num_edit and created_time appear in all these forms.
type FlexInt int64

// UnmarshalJSON accepts a number, a numeric or time string, or null.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*f = 0
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*f = 0
			return nil
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			*f = FlexInt(n)
			return nil
		}
		for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
			if t, err := time.Parse(layout, s); err == nil {
				*f = FlexInt(t.Unix())
				return nil
			}
		}
		// An unparseable placeholder (Meta doc examples use some) is not worth a failure.
		*f = 0
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	if i, err := n.Int64(); err == nil {
		*f = FlexInt(i)
		return nil
	}
	fl, err := n.Float64()
	if err != nil {
		return err
	}
	*f = FlexInt(int64(fl))
	return nil
}

// secondsOrMillisThreshold separates the two units: Meta documents milliseconds for
// messaging and seconds for feed, and sometimes sends seconds where it documents
// milliseconds (courier treats anything below 1e12 as seconds).
const secondsOrMillisThreshold = 1_000_000_000_000

// EventTime converts a Meta timestamp in seconds or milliseconds to a time.
// Zero and negative values give the zero time.
func EventTime(v int64) time.Time {
	switch {
	case v <= 0:
		return time.Time{}
	case v < secondsOrMillisThreshold:
		return time.Unix(v, 0).UTC()
	default:
		return time.UnixMilli(v).UTC()
	}
}
