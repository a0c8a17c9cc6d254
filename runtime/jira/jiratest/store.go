package jiratest

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// rec is one issue in the store's index: its sort key and either the issue
// or the number of the generated issue it is.
type rec struct {
	upd  int64  // Updated, epoch ms
	num  int64  // the number after the project key's dash (0 if none)
	proj string // the project key
	gen  int    // 1-based index of a generated issue; 0 when is is set
	is   *Issue
}

func (r *rec) key() string {
	if r.is != nil {
		return r.is.Key
	}
	return r.proj + "-" + strconv.Itoa(r.gen)
}

// compareRecs orders by updated, then key as Jira does (compareKeys).
func compareRecs(a, b *rec) int {
	if c := cmpInt(a.upd, b.upd); c != 0 {
		return c
	}
	if c := strings.Compare(a.proj, b.proj); c != 0 {
		return c
	}
	if c := cmpInt(a.num, b.num); c != 0 {
		return c
	}
	return strings.Compare(a.key(), b.key())
}

// store holds the issues in one slice sorted by (updated, key), the order
// of an incremental sync's search, so that such a search finds its first
// page by binary search; and a page token can be a position in it, which
// shifts like an offset when an earlier issue changes.
type store struct {
	recs     []rec
	explicit map[string]*Issue // by upper-case key
	genN     int
	genStart time.Time
	genGone  map[int]bool // generated issues since changed or deleted (1-based)
	maxNum   map[string]int64
}

const genProject = "PLAT"

func newStore() store {
	return store{explicit: make(map[string]*Issue), genGone: make(map[int]bool), maxNum: make(map[string]int64)}
}

func splitKey(key string) (proj string, num int64) {
	proj = projectKey(key)
	num, _ = strconv.ParseInt(strings.TrimPrefix(key, proj+"-"), 10, 64)
	return proj, num
}

// generated returns the 1-based generated index the key names, or 0.
func (st *store) generated(key string) int {
	if st.genN == 0 {
		return 0
	}
	proj, num := splitKey(strings.ToUpper(key))
	if proj != genProject || num < 1 || num > int64(st.genN) || st.genGone[int(num)] {
		return 0
	}
	if strconv.FormatInt(num, 10) != strings.TrimPrefix(strings.ToUpper(key), proj+"-") {
		return 0 // PLAT-007
	}
	return int(num)
}

func (st *store) genRec(g int) rec {
	return rec{upd: seedUpdated(g-1, st.genStart).UnixMilli(), num: int64(g), proj: genProject, gen: g}
}

// issue returns the issue r stands for.
func (st *store) issue(r *rec) Issue {
	if r.is != nil {
		return *r.is
	}
	is := seedIssue(r.gen-1, st.genStart)
	is.ID = strconv.Itoa(10000 + r.gen)
	return is
}

// get returns the issue with this key.
func (st *store) get(key string) (Issue, bool) {
	if is, ok := st.explicit[strings.ToUpper(key)]; ok {
		return *is, true
	}
	if g := st.generated(key); g > 0 {
		r := st.genRec(g)
		return st.issue(&r), true
	}
	return Issue{}, false
}

// find returns the position of r's entry.
func (st *store) find(r rec) int {
	i, _ := slices.BinarySearchFunc(st.recs, r, func(a, b rec) int { return cmpInt(a.upd, b.upd) })
	for ; i < len(st.recs) && st.recs[i].upd == r.upd; i++ {
		e := &st.recs[i]
		if (r.is != nil && e.is == r.is) || (r.gen > 0 && e.gen == r.gen) {
			return i
		}
	}
	return -1
}

// remove deletes the issue with this key, if any.
func (st *store) remove(key string) {
	var r rec
	if is, ok := st.explicit[strings.ToUpper(key)]; ok {
		r = rec{upd: is.Updated.UnixMilli(), is: is}
		delete(st.explicit, strings.ToUpper(key))
	} else if g := st.generated(key); g > 0 {
		r = st.genRec(g)
		st.genGone[g] = true
	} else {
		return
	}
	if i := st.find(r); i >= 0 {
		st.recs = slices.Delete(st.recs, i, i+1)
	}
}

// put adds an issue whose key is not in the store; it assigns an id.
func (st *store) put(is *Issue) {
	proj, num := splitKey(is.Key)
	if is.ID == "" {
		st.maxNum["\x00id"]++
		is.ID = strconv.FormatInt(10000+int64(st.genN)+st.maxNum["\x00id"], 10)
	}
	st.maxNum[strings.ToUpper(proj)] = max(st.maxNum[strings.ToUpper(proj)], num)
	st.explicit[strings.ToUpper(is.Key)] = is
	r := rec{upd: is.Updated.UnixMilli(), num: num, proj: proj, is: is}
	i, _ := slices.BinarySearchFunc(st.recs, r, func(a, b rec) int { return compareRecs(&a, &b) })
	st.recs = slices.Insert(st.recs, i, r)
}

// nextNum returns the next free issue number in project.
func (st *store) nextNum(project string) int64 {
	p := strings.ToUpper(project)
	n := st.maxNum[p]
	if p == genProject {
		n = max(n, int64(st.genN))
	}
	return n + 1
}

// generate adds generated issues 1..n.
func (st *store) generate(n int, start time.Time) {
	st.genN, st.genStart = n, start
	st.recs = slices.Grow(st.recs, n)
	sorted := len(st.recs) == 0
	for g := 1; g <= n; g++ {
		st.recs = append(st.recs, st.genRec(g))
	}
	if !sorted {
		slices.SortFunc(st.recs, func(a, b rec) int { return compareRecs(&a, &b) })
	}
}

// fieldsOf returns what a JQL match needs of r; the key and id only when
// withKey is set (they cost an allocation for a generated issue).
func (st *store) fieldsOf(r *rec, withKey bool) matchFields {
	f := matchFields{project: r.proj, updated: r.upd}
	if r.is != nil {
		f.key, f.id, f.projectName, f.created = r.is.Key, r.is.ID, r.is.ProjectName, r.is.Created.UnixMilli()
		return f
	}
	if withKey {
		f.key = r.key()
		f.id = strconv.Itoa(10000 + r.gen)
	}
	f.projectName = "Platform"
	i := r.gen - 1
	f.created = seedUpdated(i, st.genStart).Add(-time.Duration(i%48+1) * time.Hour).UnixMilli()
	return f
}
