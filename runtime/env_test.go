package runtime

import (
	"context"
	"errors"
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
