// Package nodes is a user's own node package, as a team would write it:
// nothing here knows about resolute-gen beyond the node shape.
package nodes

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Record is one row of the source.
type Record struct {
	ID   string `json:"id"`
	Seq  int64  `json:"seq"`
	Name string `json:"name"`
}

// FetchIn says where the source is and how far the last run got.
type FetchIn struct {
	Path      string
	Since     string
	CountFile string // one line is appended per execution, for tests
}

// FetchOut is what changed since the cursor.
type FetchOut struct {
	Records []Record
	MaxSeq  int64
}

// Fetch reads the JSON-lines file at Path and returns the records with a
// sequence number above Since.
func Fetch(ctx context.Context, in FetchIn) (FetchOut, error) {
	if err := appendLine(in.CountFile, "fetch"); err != nil {
		return FetchOut{}, err
	}
	since, err := strconv.ParseInt(in.Since, 10, 64)
	if err != nil {
		return FetchOut{}, fmt.Errorf("cursor %q is not a sequence number", in.Since)
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return FetchOut{}, err
	}
	defer f.Close()
	var out FetchOut
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return FetchOut{}, fmt.Errorf("%s: %v", in.Path, err)
		}
		if r.Seq > since {
			out.Records = append(out.Records, r)
			out.MaxSeq = max(out.MaxSeq, r.Seq)
		}
	}
	return out, sc.Err()
}

// SlowIn drives the step the crash tests interrupt.
type SlowIn struct {
	Records   []Record
	Gate      string // the step waits until this file exists
	Marker    string // written when the step starts waiting
	Fail      string // if this file exists, the step fails
	CountFile string
}

// SlowOut counts what passed.
type SlowOut struct {
	Passed int
}

// Slow waits for its gate file, then passes the records on.
func Slow(ctx context.Context, in SlowIn) (SlowOut, error) {
	if err := appendLine(in.CountFile, "slow"); err != nil {
		return SlowOut{}, err
	}
	if _, err := os.Stat(in.Fail); err == nil {
		return SlowOut{}, errors.New("the fail file is present")
	}
	if err := os.WriteFile(in.Marker, []byte("inside"), 0o644); err != nil {
		return SlowOut{}, err
	}
	for {
		if _, err := os.Stat(in.Gate); err == nil {
			return SlowOut{Passed: len(in.Records)}, nil
		}
		select {
		case <-ctx.Done():
			return SlowOut{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// WriteIn is where to append records.
type WriteIn struct {
	Path    string
	Records []Record
}

// WriteOut counts appended records.
type WriteOut struct {
	Written int
}

// Write appends the records to Path as JSON lines.
func Write(ctx context.Context, in WriteIn) (WriteOut, error) {
	f, err := os.OpenFile(in.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return WriteOut{}, err
	}
	defer f.Close()
	for _, r := range in.Records {
		b, _ := json.Marshal(r)
		if _, err := f.Write(append(b, '\n')); err != nil {
			return WriteOut{}, err
		}
	}
	return WriteOut{Written: len(in.Records)}, f.Sync()
}

func appendLine(path, line string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(line + "\n")
	return err
}

// TickIn is one unit of work of the control-flow tests.
type TickIn struct {
	Dir     string // ticks.log is appended here; gate and markers live here
	Name    string
	Seq     int
	BlockOn string // when Name starts with it, wait for Dir/gate (after writing Dir/inside-NAME)
}

// TickOut echoes the tick.
type TickOut struct {
	Name string
	Seq  int
}

// Tick records that it ran, and blocks when asked to, so a test can kill
// the program in the middle of a chosen step.
func Tick(ctx context.Context, in TickIn) (TickOut, error) {
	if err := appendLine(in.Dir+"/ticks.log", in.Name); err != nil {
		return TickOut{}, err
	}
	if in.BlockOn != "" && strings.HasPrefix(in.Name, in.BlockOn) {
		if err := os.WriteFile(in.Dir+"/inside-"+in.Name, nil, 0o644); err != nil {
			return TickOut{}, err
		}
		for {
			if _, err := os.Stat(in.Dir + "/gate"); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return TickOut{}, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	return TickOut{Name: in.Name, Seq: in.Seq}, nil
}

// ListIn asks for Count names.
type ListIn struct {
	Count int
}

// ListOut is a list of names.
type ListOut struct {
	Names []string
}

// List returns item-0 .. item-(Count-1).
func List(ctx context.Context, in ListIn) (ListOut, error) {
	var out ListOut
	for i := 0; i < in.Count; i++ {
		out.Names = append(out.Names, fmt.Sprintf("item-%d", i))
	}
	return out, nil
}

// ParseIn holds an RFC 3339 time, or nothing.
type ParseIn struct {
	Value string
}

// ParseOut is the time read; zero when Value is empty.
type ParseOut struct {
	At time.Time
}

// ParseTime reads Value, keeping its offset.
func ParseTime(ctx context.Context, in ParseIn) (ParseOut, error) {
	if in.Value == "" {
		return ParseOut{}, nil
	}
	t, err := time.Parse(time.RFC3339, in.Value)
	return ParseOut{At: t}, err
}
