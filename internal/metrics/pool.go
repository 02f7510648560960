package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// PoolStats is a snapshot of a connection pool (pgxpool.Stat without pgx).
type PoolStats struct {
	AcquiredConns, IdleConns, TotalConns, ConstructingConns, MaxConns int32
	AcquireCount, EmptyAcquireCount, CanceledAcquireCount             int64
	NewConnsCount, MaxLifetimeDestroyCount, MaxIdleDestroyCount       int64
	AcquireDuration                                                   time.Duration
}

// PoolCollector reads a pool's statistics at every scrape.
type PoolCollector struct {
	stat  func() PoolStats
	descs map[string]*prometheus.Desc
}

// NewPoolCollector returns a collector over stat, labelled with the
// pool's name ("app" for the requests' pool).
func NewPoolCollector(name string, stat func() PoolStats) *PoolCollector {
	d := func(n, help string) *prometheus.Desc {
		return prometheus.NewDesc("hub_db_pool_"+n, help, nil, prometheus.Labels{"pool": name})
	}
	return &PoolCollector{stat: stat, descs: map[string]*prometheus.Desc{
		"acquired":     d("acquired_connections", "Connections in use."),
		"idle":         d("idle_connections", "Idle connections."),
		"total":        d("total_connections", "Open connections (acquired, idle and being built)."),
		"constructing": d("constructing_connections", "Connections being opened."),
		"max":          d("max_connections", "Largest number of connections allowed."),
		"acquires":     d("acquires_total", "Connections handed out."),
		"empty":        d("empty_acquires_total", "Acquires that had to wait or open a connection because none was idle."),
		"canceled":     d("canceled_acquires_total", "Acquires given up by their context."),
		"new":          d("new_connections_total", "Connections opened."),
		"lifetime":     d("max_lifetime_destroys_total", "Connections closed for their age."),
		"idledestroy":  d("max_idle_destroys_total", "Connections closed for being idle."),
		"acquire_secs": d("acquire_seconds_total", "Total time spent acquiring connections."),
	}}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	g := func(k string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.GaugeValue, v)
	}
	n := func(k string, v float64) {
		ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.CounterValue, v)
	}
	g("acquired", float64(s.AcquiredConns))
	g("idle", float64(s.IdleConns))
	g("total", float64(s.TotalConns))
	g("constructing", float64(s.ConstructingConns))
	g("max", float64(s.MaxConns))
	n("acquires", float64(s.AcquireCount))
	n("empty", float64(s.EmptyAcquireCount))
	n("canceled", float64(s.CanceledAcquireCount))
	n("new", float64(s.NewConnsCount))
	n("lifetime", float64(s.MaxLifetimeDestroyCount))
	n("idledestroy", float64(s.MaxIdleDestroyCount))
	n("acquire_secs", s.AcquireDuration.Seconds())
}
