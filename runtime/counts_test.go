package runtime

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestCountsSummarizesOutputs(t *testing.T) {
	type out struct {
		Items      []string
		ByKey      map[string]int
		MaxUpdated int64
		Inserted   int
		Token      string // text is never logged
		hidden     int
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("step completed", counts(out{Items: []string{"a", "b"}, ByKey: map[string]int{"x": 1}, MaxUpdated: 42, Inserted: 7, Token: "s3cret", hidden: 3}))
	got := buf.String()
	for _, want := range []string{"out.Items=2", "out.ByKey=1", "out.MaxUpdated=42", "out.Inserted=7"} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %s", got, want)
		}
	}
	if strings.Contains(got, "s3cret") || strings.Contains(got, "hidden") {
		t.Errorf("log line %q shows a text or unexported field", got)
	}
	buf.Reset()
	log.Info("step completed", counts(struct{}{}))
	if strings.Contains(buf.String(), "out") {
		t.Errorf("an empty output adds attributes: %q", buf.String())
	}
}
