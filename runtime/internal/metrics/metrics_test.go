package metrics

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	sampleRE     = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelRE      = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"`)
)

// parseExposition checks that text is valid Prometheus text exposition
// format and returns its samples by series, written as
// name{label="value",...} with label values unescaped.
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	typed := map[string]string{} // family -> type
	done := map[string]bool{}    // families that ended
	current := ""
	if text != "" && !strings.HasSuffix(text, "\n") {
		t.Errorf("exposition does not end with a newline")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		bad := func(why string) { t.Errorf("line %d %q: %s", i+1, line, why) }
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 4 || (f[1] != "HELP" && f[1] != "TYPE") || !metricNameRE.MatchString(f[2]) {
				bad("not a HELP or TYPE comment")
				continue
			}
			if f[1] == "TYPE" {
				if _, ok := typed[f[2]]; ok {
					bad("second TYPE line")
				}
				switch f[3] {
				case "counter", "gauge", "histogram", "summary", "untyped":
				default:
					bad("unknown type")
				}
				typed[f[2]] = f[3]
			}
			if f[2] != current {
				done[current] = true
				current = f[2]
			}
			continue
		}
		m := sampleRE.FindStringSubmatch(line)
		if m == nil {
			bad("not a sample line")
			continue
		}
		name, labels, value := m[1], m[2], m[3]
		family := name
		if typed[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")] == "histogram" {
			family = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		}
		if typed[family] == "" {
			bad("sample without a TYPE line")
		}
		if family != current || done[family] {
			bad("sample outside its family's group")
		}
		if typed[family] == "counter" && !strings.HasSuffix(name, "_total") {
			bad("counter name without _total")
		}
		var parts []string
		for labels != "" {
			lm := labelRE.FindStringSubmatch(labels)
			if lm == nil {
				bad("bad label syntax")
				break
			}
			v := strings.NewReplacer(`\\`, `\`, `\"`, `"`, `\n`, "\n").Replace(lm[2])
			parts = append(parts, lm[1]+"="+strconv.Quote(v))
			labels = strings.TrimPrefix(labels[len(lm[0]):], ",")
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			bad("bad value")
		}
		key := name
		if len(parts) > 0 {
			key += "{" + strings.Join(parts, ",") + "}"
		}
		if _, dup := samples[key]; dup {
			bad("duplicate series")
		}
		samples[key] = v
	}
	return samples
}

// want checks series values; a NaN want means "absent".
func wantSamples(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, w := range want {
		v, ok := got[k]
		switch {
		case w != w && ok:
			t.Errorf("%s = %v, want no such series", k, v)
		case w == w && !ok:
			t.Errorf("%s missing", k)
		case w == w && v != w:
			t.Errorf("%s = %v, want %v", k, v, w)
		}
	}
}

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
	got := parseExposition(t, text)
	wantSamples(t, got, map[string]float64{
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
	got := parseExposition(t, string(m.Exposition()))
	wantSamples(t, got, map[string]float64{
		`resolute_steps_completed_total{flow="f",step="s0",source="executed"}`:      1,
		`resolute_steps_completed_total{flow="f",step="(other)",source="executed"}`: 10,
		`resolute_steps_completed_total{flow="f",step="s260",source="executed"}`:    absent,
	})
}
