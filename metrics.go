package hookline

import (
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the engine's Prometheus metrics, on a registry of its own (so
// two engines can live in one process). Serve Registry with promhttp.
type Metrics struct {
	Registry   *prometheus.Registry
	events     prometheus.Counter
	claimed    prometheus.Counter
	rescued    prometheus.Counter
	executions *prometheus.CounterVec
	latency    prometheus.Histogram
	actions    *prometheus.CounterVec

	// Change capture, per source this node follows.
	sourceChanges    *prometheus.CounterVec
	sourceLagBytes   *prometheus.GaugeVec
	sourceLagSeconds *prometheus.GaugeVec
}

// roundTripper is a storage driver that counts its round trips to the
// database (store/postgres).
type roundTripper interface{ RoundTrips() uint64 }

func newMetrics(st any) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		events:   prometheus.NewCounter(prometheus.CounterOpts{Name: "hookline_events_total", Help: "Events stored: sent through the API or the SDK, or emitted by record writes (a duplicate idempotency key is not counted again)."}),
		claimed:  prometheus.NewCounter(prometheus.CounterOpts{Name: "hookline_executions_claimed_total", Help: "Executions claimed by this node."}),
		rescued:  prometheus.NewCounter(prometheus.CounterOpts{Name: "hookline_executions_rescued_total", Help: "Executions whose lease ended and were put back."}),
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_executions_total", Help: "Executions finished by this node, by status (pending = scheduled for retry).",
		}, []string{"status"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "hookline_execution_latency_seconds", Help: "From an execution's creation to its end.",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_actions_total", Help: "Action attempts by type and result (success, failed, retrying).",
		}, []string{"type", "result"}),
		sourceChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookline_source_changes_total", Help: "Row changes of a change-capture source committed as events by this node.",
		}, []string{"source"}),
		sourceLagBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookline_source_lag_bytes", Help: "WAL the source's replication slot holds beyond what hookline confirmed.",
		}, []string{"source"}),
		sourceLagSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hookline_source_lag_seconds", Help: "Age of the newest change hookline committed, while behind (0 when caught up).",
		}, []string{"source"}),
	}
	m.Registry.MustRegister(m.sourceChanges, m.sourceLagBytes, m.sourceLagSeconds)
	if rt, ok := st.(roundTripper); ok {
		m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "hookline_db_round_trips_total", Help: "Round trips to the database (statements, prepares and batches) by this node.",
		}, func() float64 { return float64(rt.RoundTrips()) }))
	}
	m.Registry.MustRegister(m.events, m.claimed, m.rescued, m.executions, m.latency, m.actions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) observe(x *hook.Execution, now time.Time) {
	m.executions.WithLabelValues(x.Status).Inc()
	if x.Done() {
		m.latency.Observe(now.Sub(x.CreatedAt).Seconds())
	}
}

// action counts one attempt of an action (the runner reports each).
func (m *Metrics) action(actionType, result string) {
	m.actions.WithLabelValues(actionType, result).Inc()
}

func (m *Metrics) sourceStatus(s *hook.Source, st hook.SourceStatus) {
	m.sourceLagBytes.WithLabelValues(s.ID).Set(float64(st.LagBytes))
	m.sourceLagSeconds.WithLabelValues(s.ID).Set(st.LagSeconds)
}

func (m *Metrics) sourceStopped(s *hook.Source) {
	m.sourceLagBytes.DeleteLabelValues(s.ID)
	m.sourceLagSeconds.DeleteLabelValues(s.ID)
}
