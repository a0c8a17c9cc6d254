package metrics

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/metrics/metricstest"
)

var absent = func() float64 { var z float64; return z / z }()

func TestMetricsEscaping(t *testing.T) {
	m := New(nil, nil)
	fs := m.RunStarted("f")
	m.StepExecuted(fs, "a\"b", "\\c\nd", 1, 7*time.Second, true)
	text := string(m.Exposition())
	for _, want := range []string{`step="a\"b\\c\nd"`, `le="5"} 0`, `le="10"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("exposition lacks %s:\n%s", want, text)
		}
	}
	got := metricstest.Parse(t, text)
	metricstest.Want(t, got, map[string]float64{
		`resolute_steps_completed_total{flow="f",step="a\"b\\c\nd",source="executed"}`: 1,
		`resolute_step_duration_seconds_sum{flow="f",step="a\"b\\c\nd"}`:               7,
		`resolute_run_in_progress{flow="f"}`:                                           1,
	})
	for _, tc := range []struct {
		v    float64
		want string
	}{{1735725600000, "1735725600000"}, {0.25, "0.25"}, {1e20, "1e+20"}, {-3, "-3"}, {1735725600.123, "1735725600.123"}} {
		if got := formatValue(tc.v); got != tc.want {
			t.Errorf("formatValue(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestMetricsStepSeriesAreBounded(t *testing.T) {
	m := New(nil, nil)
	fs := m.RunStarted("f")
	for i := range maxSteps + 10 {
		m.StepExecuted(fs, "s", strconv.Itoa(i), 1, time.Millisecond, true)
	}
	got := metricstest.Parse(t, string(m.Exposition()))
	metricstest.Want(t, got, map[string]float64{
		`resolute_steps_completed_total{flow="f",step="s0",source="executed"}`:      1,
		`resolute_steps_completed_total{flow="f",step="(other)",source="executed"}`: 10,
		`resolute_steps_completed_total{flow="f",step="s260",source="executed"}`:    absent,
	})
}
