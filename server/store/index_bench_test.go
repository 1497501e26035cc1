package store_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store"
	"github.com/socialinbox/mattermost-plugin-social-inbox/server/store/memkv"
)

// BenchmarkOpenIndexContention measures compare-and-set contention on the sharded open
// queue index when many new leads are added at once (as by several nodes): CAS calls
// per added lead (1 means no contention; every lost swap adds one).
func BenchmarkOpenIndexContention(b *testing.B) {
	kv := memkv.New()
	st := store.New(kv)
	var n atomic.Int64
	b.SetParallelism(8) // 16 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := store.Hash(fmt.Sprint(n.Add(1)))[:32]
			if err := st.AddOpenLead(id); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	ops := kv.Ops()
	b.ReportMetric(float64(ops["cas"])/float64(b.N), "cas/add")
	b.ReportMetric(float64(ops["get"])/float64(b.N), "get/add")
}
