// Command baseline is the hand-written program that resolute-gen's
// generated data sync is measured against: what a careful Go engineer would
// write for examples/jira-sync without this tool, with the standard library
// and a SQL driver only.
//
// It reads the cursor (epoch milliseconds) from a file, walks Jira's search
// (GET /rest/api/3/search/jql, nextPageToken) page by page for the issues
// updated since, upserts each page in one SQLite transaction, and writes the
// newest updated time back to the cursor file when every page is stored.
// It retries a failed page three times, as the generated program's default
// policy does, and asks only for the fields it stores.
//
//	JIRA_BASE_URL=... JIRA_EMAIL=... JIRA_API_TOKEN=... baseline -db warehouse.db -cursor cursor.txt
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite"
)

const fields = "summary,project,status,labels,updated,customfield_10016"

type searchResult struct {
	Issues []struct {
		Key    string `json:"key"`
		Fields struct {
			Summary string `json:"summary"`
			Project struct {
				Key string `json:"key"`
			} `json:"project"`
			Status struct {
				Name string `json:"name"`
			} `json:"status"`
			Labels      []string `json:"labels"`
			Updated     string   `json:"updated"`
			StoryPoints *float64 `json:"customfield_10016"`
		} `json:"fields"`
	} `json:"issues"`
	NextPageToken string `json:"nextPageToken"`
	IsLast        bool   `json:"isLast"`
}

func main() {
	dbPath := flag.String("db", "warehouse.db", "SQLite file")
	cursorPath := flag.String("cursor", "cursor.txt", "file holding the cursor (epoch ms)")
	project := flag.String("project", "PLATFORM", "Jira project key")
	flag.Parse()
	if err := run(context.Background(), *dbPath, *cursorPath, *project); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, dbPath, cursorPath, project string) error {
	base := os.Getenv("JIRA_BASE_URL")
	email, token := os.Getenv("JIRA_EMAIL"), os.Getenv("JIRA_API_TOKEN")
	cursor := int64(0)
	if b, err := os.ReadFile(cursorPath); err == nil {
		if cursor, err = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err != nil {
			return fmt.Errorf("cursor file %s: %v", cursorPath, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}

	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS jira_issues (
		issue_key TEXT PRIMARY KEY, project TEXT, summary TEXT, status TEXT,
		story_points REAL, labels TEXT, updated_at TEXT, sync_timestamp TEXT)`); err != nil {
		return err
	}

	client := &http.Client{Timeout: 60 * time.Second}
	jql := fmt.Sprintf("project = %s AND updated >= %d ORDER BY updated ASC, key ASC", project, cursor)
	maxUpdated, pageToken, pages, items := cursor, "", 0, 0
	for {
		var page searchResult
		err := retry(ctx, func() error {
			page = searchResult{}
			return fetch(ctx, client, base, email, token, jql, pageToken, &page)
		})
		if err != nil {
			return fmt.Errorf("page %d: %w", pages+1, err)
		}
		if err := upsert(ctx, db, &page, &maxUpdated); err != nil {
			return fmt.Errorf("page %d: %w", pages+1, err)
		}
		pages++
		items += len(page.Issues)
		if page.IsLast || page.NextPageToken == "" {
			break
		}
		pageToken = page.NextPageToken
	}
	tmp := cursorPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(maxUpdated, 10)+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, cursorPath); err != nil {
		return err
	}
	log.Printf("pages=%d items=%d cursor=%d", pages, items, maxUpdated)
	return nil
}

func retry(ctx context.Context, f func() error) error {
	var err error
	for attempt, delay := 1, time.Second; attempt <= 3; attempt, delay = attempt+1, delay*2 {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	return err
}

func fetch(ctx context.Context, client *http.Client, base, email, token, jql, pageToken string, out *searchResult) error {
	q := url.Values{"jql": {jql}, "maxResults": {"100"}, "fields": {fields}}
	if pageToken != "" {
		q.Set("nextPageToken", pageToken)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/rest/api/3/search/jql?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(email, token)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("jira: %s: %s", resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func upsert(ctx context.Context, db *sql.DB, page *searchResult, maxUpdated *int64) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO jira_issues
		(issue_key, project, summary, status, story_points, labels, updated_at, sync_timestamp)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (issue_key) DO UPDATE SET project = excluded.project, summary = excluded.summary,
		status = excluded.status, story_points = excluded.story_points, labels = excluded.labels,
		updated_at = excluded.updated_at, sync_timestamp = excluded.sync_timestamp`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, is := range page.Issues {
		updated, err := time.Parse("2006-01-02T15:04:05.000-0700", is.Fields.Updated)
		if err != nil {
			return fmt.Errorf("issue %s: updated %q: %v", is.Key, is.Fields.Updated, err)
		}
		*maxUpdated = max(*maxUpdated, updated.UnixMilli())
		labels, _ := json.Marshal(is.Fields.Labels)
		if _, err := stmt.ExecContext(ctx, is.Key, is.Fields.Project.Key, is.Fields.Summary, is.Fields.Status.Name,
			is.Fields.StoryPoints, string(labels), updated.UTC().Format(time.RFC3339Nano), now); err != nil {
			return fmt.Errorf("issue %s: %v", is.Key, err)
		}
	}
	return tx.Commit()
}
