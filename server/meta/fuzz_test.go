package meta

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds the parser arbitrary bodies: it must never panic, and whatever it
// accepts must be well-formed events (a native ID, a known platform, an account).
func FuzzParse(f *testing.F) {
	for _, dir := range []string{samplesDir(f), "testdata"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"object":"page","entry":[{"id":"1","messaging":[{"message":{"mid":"x"}}]}]}`))
	f.Add([]byte(`{"object":"instagram","entry":[{"id":1,"time":"x","field":"comments","value":{"id":2}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := Parse(body)
		if err != nil {
			return
		}
		for _, e := range b.Events {
			if e.NativeID == "" {
				t.Fatalf("event without native ID: %+v", e)
			}
			if e.Platform != Facebook && e.Platform != Instagram {
				t.Fatalf("event with unknown platform: %+v", e)
			}
			if e.Kind.Inbound() && e.CustomerID == "" {
				t.Fatalf("inbound event without customer: %+v", e)
			}
		}
	})
}
