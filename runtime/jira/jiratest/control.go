package jiratest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
)

// DumpedIssue is one line of GET /_fake/dump.
type DumpedIssue struct {
	Key     string `json:"key"`
	ID      string `json:"id"`
	Project string `json:"project"`
	Summary string `json:"summary"`
	Status  string `json:"status"`
	// Updated is epoch milliseconds.
	Updated int64 `json:"updated"`
}

// control serves /_fake/...; see the package doc.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	reply := func(v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	path := strings.TrimRight(r.URL.Path, "/")
	if r.Method != http.MethodPost && path != "/_fake/counts" && path != "/_fake/dump" {
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
		return
	}
	switch path {
	case "/_fake/counts":
		c := s.Counts()
		if r.Method == http.MethodPost {
			s.ResetRequests()
		}
		reply(c, nil)
	case "/_fake/faults":
		var f Faults
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFaults(f)
		reply(f, nil)
	case "/_fake/update":
		reply(s.Update(q.Get("key"), func(is *Issue) {
			if v := q.Get("summary"); v != "" {
				is.Summary = v
			}
		}))
	case "/_fake/create":
		project := q.Get("project")
		if project == "" {
			project = genProject
		}
		reply(s.Create(project, q.Get("summary")), nil)
	case "/_fake/move":
		reply(s.Move(q.Get("key"), q.Get("project")))
	case "/_fake/delete":
		s.Delete(q.Get("key"))
		reply(map[string]string{"deleted": q.Get("key")}, nil)
	case "/_fake/mutate":
		n, _ := strconv.Atoi(q.Get("n"))
		seed, _ := strconv.ParseUint(q.Get("seed"), 10, 64)
		reply(s.Mutate(n, seed, q.Get("to")), nil)
	case "/_fake/dump":
		w.Header().Set("Content-Type", "application/x-ndjson")
		bw := bufio.NewWriterSize(w, 64<<10)
		enc := json.NewEncoder(bw)
		s.Each(func(is Issue) bool {
			return enc.Encode(DumpedIssue{Key: is.Key, ID: is.ID, Project: projectKey(is.Key), Summary: is.Summary, Status: statusOr(is.Status), Updated: is.Updated.UnixMilli()}) == nil
		})
		bw.Flush()
	default:
		http.Error(w, fmt.Sprintf("unknown control path %s; see the jiratest package doc", path), http.StatusNotFound)
	}
}

func statusOr(s string) string {
	if s == "" {
		return "To Do"
	}
	return s
}

// Mutation is one change made by Mutate.
type Mutation struct {
	// Kind is "update", "create" or "move".
	Kind string `json:"kind"`
	// Key is the issue's key after the change.
	Key string `json:"key"`
	// From is the key before a move.
	From string `json:"from,omitempty"`
}

// Mutate makes n random changes, chosen deterministically from seed, as
// users would while a sync runs: mostly updates of existing issues, some
// creations in the generated project (PLAT), and some moves of an issue to
// project to (none when to is empty).
func (s *Server) Mutate(n int, seed uint64, to string) []Mutation {
	rng := rand.New(rand.NewPCG(seed, 0x6d7574))
	var out []Mutation
	for range n {
		s.mu.Lock()
		size := len(s.store.recs)
		var key string
		if size > 0 {
			key = s.store.recs[rng.IntN(size)].key()
		}
		s.mu.Unlock()
		switch x := rng.IntN(10); {
		case size == 0 || x == 0:
			is := s.Create(genProject, fmt.Sprintf("Created by Mutate (%d)", seed))
			out = append(out, Mutation{Kind: "create", Key: is.Key})
		case x == 1 && to != "":
			if is, err := s.Move(key, to); err == nil {
				out = append(out, Mutation{Kind: "move", Key: is.Key, From: key})
			}
		default:
			if is, err := s.Update(key, func(is *Issue) { is.Summary += " (edited)" }); err == nil {
				out = append(out, Mutation{Kind: "update", Key: is.Key})
			}
		}
	}
	return out
}
