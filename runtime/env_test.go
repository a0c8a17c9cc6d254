package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMissingEnvAreListedTogether(t *testing.T) {
	p := Program{Env: []EnvVar{
		{Name: "JIRA_BASE_URL", Required: true},
		{Name: "JIRA_EMAIL", Required: true},
		{Name: "WITH_DEFAULT", Required: true, Default: "d"},
		{Name: "OPTIONAL"},
		{Name: "SET", Required: true},
	}}
	vals, err := p.resolveEnv(func(k string) string { return map[string]string{"SET": "x"}[k] })
	if err == nil || err.Error() != "missing required environment variables: JIRA_BASE_URL, JIRA_EMAIL" {
		t.Fatalf("err = %v", err)
	}
	if vals["WITH_DEFAULT"] != "d" || vals["SET"] != "x" || vals["OPTIONAL"] != "" {
		t.Errorf("vals = %v", vals)
	}
}

// A secret value never shows in logs, printed errors, the journal, the run
// summary or status, wherever it comes from.
func TestSecretsAreRedactedEverywhere(t *testing.T) {
	const secret = "tok-9f8e7d"
	dir := t.TempDir()
	p := Program{
		Flows: []Flow{{Name: "f", Run: func(ctx context.Context, r *Run) error {
			r.Logger().Info("calling with "+r.Env("TOKEN"), "token", r.Env("TOKEN"), "err", errors.New("e "+r.Env("TOKEN")))
			v := r.Env("TOKEN")
			r.Failed("handled", errors.New("handled "+v))
			_, err := Call(ctx, r, "auth", Options{}, func(context.Context) (int, error) {
				return 0, Permanent(errors.New("401 for token " + v))
			})
			return err
		}}},
		Env: []EnvVar{{Name: "TOKEN", Required: true, Secret: true}},
	}
	env := map[string]string{"TOKEN": secret}
	var stdout, stderr lockedBuffer
	for _, format := range []string{"text", "json"} {
		code := runMain(context.Background(), p, []string{"prog", "run", "--once", "--state-dir", dir, "--log-format", format}, func(k string) string { return env[k] }, &stdout, &stderr)
		if code != 1 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
	runMain(context.Background(), p, []string{"prog", "status", "--state-dir", dir}, func(k string) string { return env[k] }, &stdout, &stderr)
	mustContain(t, "stderr", stderr.String(), "401 for token [REDACTED]", "calling with [REDACTED]", `"token":"[REDACTED]"`)
	mustContain(t, "status", stdout.String(), "failed but continued: handled: handled [REDACTED]")
	var files []string
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(path)
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds the secret:\n%s", path, data)
			}
			files = append(files, path)
		}
		return nil
	})
	if len(files) < 3 {
		t.Errorf("expected lock, journal and summary, found %v", files)
	}
	if out := stdout.String() + stderr.String(); strings.Contains(out, secret) {
		t.Errorf("output holds the secret:\n%s", out)
	}
}

// A one-letter secret does not mangle every log line or inflate the
// journal; it is redacted where it stands as a word, the program warns
// that it is too short, and an output that is exactly the secret is still
// refused (issue 6, item 6).
func TestShortSecretIsRedactedAsWholeWords(t *testing.T) {
	dir := t.TempDir()
	words := strings.Repeat("every line here mentions e in sentences ", 50)
	echo := ""
	p := Program{
		Flows: []Flow{{Name: "f", Run: func(ctx context.Context, r *Run) error {
			r.Logger().Info("request failed: key e rejected", "detail", "e=wrong")
			out, err := Call(ctx, r, "text", Options{}, func(context.Context) (string, error) { return words, nil })
			if err != nil || out != words {
				return fmt.Errorf("text step: %q, %v", out, err)
			}
			_, err = Call(ctx, r, "echo", Options{}, func(context.Context) (map[string]string, error) {
				return map[string]string{"token": r.Env("TOKEN") + echo}, nil
			})
			return err
		}}},
		Env: []EnvVar{{Name: "TOKEN", Required: true, Secret: true}},
	}
	env := map[string]string{"TOKEN": "e"}
	var stdout, stderr lockedBuffer
	code := runMain(context.Background(), p, []string{"prog", "run", "--once", "--state-dir", dir}, func(k string) string { return env[k] }, &stdout, &stderr)
	logs := stderr.String()
	if code != 1 || !strings.Contains(logs, "secret environment variable TOKEN") {
		t.Fatalf("exit %d, want the echo step to fail naming TOKEN:\n%s", code, logs)
	}
	mustContain(t, "logs", logs, "shorter than 8 bytes", "request failed: key [REDACTED] rejected", `detail="[REDACTED]=wrong"`, `msg="run started"`)
	if strings.Contains(logs, "[REDACTED]d") || strings.Contains(logs, "r[REDACTED]") {
		t.Errorf("the secret was redacted inside words:\n%s", logs)
	}
	journal, err := os.ReadFile(filepath.Join(dir, "journal", "f.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) > 2*len(words)+1000 || !strings.Contains(string(journal), "mentions e in") {
		t.Errorf("journal of %d bytes for a %d-byte output, or the output was altered:\n%s", len(journal), len(words), journal)
	}
	// The output "e!" is not the secret: the run resumes and succeeds.
	echo = "!"
	if code := runMain(context.Background(), p, []string{"prog", "run", "--once", "--state-dir", dir}, func(k string) string { return env[k] }, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr.String())
	}
}
