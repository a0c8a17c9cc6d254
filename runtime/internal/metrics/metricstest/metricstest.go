// Package metricstest reads the Prometheus text exposition format in tests:
// the metrics package's own and the runtime's, which scrape a real
// program. It is a test helper; no program links it.
package metricstest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	sampleRE     = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelRE      = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"`)
)

// Parse checks that text is valid Prometheus text exposition
// format and returns its samples by series, written as
// name{label="value",...} with label values unescaped.
func Parse(t testing.TB, text string) map[string]float64 {
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
func Want(t testing.TB, got map[string]float64, want map[string]float64) {
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
