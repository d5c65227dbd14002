package server

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics registers the HTTP metrics, labelled by route template, never raw path.
func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lotse_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "lotse_http_request_duration_seconds", Help: "HTTP request duration by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watchReplica adds the read replica's metrics: whether reporting uses it, how far
// behind it is, and where reporting reads ran (alert on lotse_replica_in_use == 0 and
// on a rising lotse_reporting_reads_total{db="primary"}).
func (m *metrics) watchReplica(r *store.Replica) {
	reads := func(db string, n *atomic.Int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lotse_reporting_reads_total",
			Help: "Reporting reads (statistics, exports) by the database that served them.", ConstLabels: prometheus.Labels{"db": db}},
			func() float64 { return float64(n.Load()) })
	}
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lotse_replica_in_use", Help: "1 while reporting reads go to the replica, 0 while they fall back to the primary."},
			func() float64 {
				if r.InUse() {
					return 1
				}
				return 0
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lotse_replica_lag_seconds", Help: "How long ago the replica was last seen to hold everything the primary had committed."},
			func() float64 { return r.Lag().Seconds() }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lotse_replica_fallbacks_total", Help: "Reporting reads sent to the primary because the replica had not yet replayed the latest commits."},
			func() float64 { return float64(r.Fallbacks.Load()) }),
		reads("replica", &r.ReplicaReads), reads("primary", &r.PrimaryReads))
}
