package jiratest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// The JQL subset the fake understands:
//
//	query   = [or] [ORDER BY sort {, sort}]
//	or      = and {OR and}
//	and     = unary {AND unary}
//	unary   = NOT unary | "(" or ")" | clause
//	clause  = field op value
//	field   = project | key | issuekey | updated | updatedDate | created | createdDate
//	op      = "=" | "!=" | ">=" | ">" | "<=" | "<"   (project and key: = and != only)
//	value   = number (epoch milliseconds for dates) | "quoted" | 'quoted' | word
//	sort    = (updated | created | key | issuekey) [ASC | DESC]
//
// Date values are epoch milliseconds, compared exactly, or "yyyy-MM-dd HH:mm"
// (also with slashes, or a date alone) read in the profile time zone and
// compared at minute precision, as Jira does.

type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

type token struct {
	kind string // "word", "string", "op", ",", "(", ")", "eof"
	text string
	pos  int // 1-based character
}

func lex(s string) ([]token, error) {
	var toks []token
	r := []rune(s)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '"' || c == '\'':
			j := i + 1
			var b strings.Builder
			for j < len(r) && r[j] != c {
				if r[j] == '\\' && j+1 < len(r) {
					j++
				}
				b.WriteRune(r[j])
				j++
			}
			if j >= len(r) {
				return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: The quoted string starting at character %d is not terminated. (line 1, character %d)", i+1, i+1)}
			}
			toks = append(toks, token{"string", b.String(), i + 1})
			i = j + 1
		case c == '=' || c == '!' || c == '<' || c == '>' || c == '~':
			j := i + 1
			if j < len(r) && r[j] == '=' {
				j++
			}
			op := string(r[i:j])
			if op == "!" {
				return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: The character '!' on its own is not a valid operator. (line 1, character %d)", i+1)}
			}
			toks = append(toks, token{"op", op, i + 1})
			i = j
		case c == ',' || c == '(' || c == ')':
			toks = append(toks, token{string(c), string(c), i + 1})
			i++
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == ':':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || strings.ContainsRune("_-./:", r[j])) {
				j++
			}
			toks = append(toks, token{"word", string(r[i:j]), i + 1})
			i = j
		default:
			return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: The character '%c' is a reserved JQL character. You must enclose it in a string or use the escape '\\u%04x' instead. (line 1, character %d)", c, c, i+1)}
		}
	}
	toks = append(toks, token{"eof", "", len(r) + 1})
	return toks, nil
}

// clause is one restriction.
type clause struct {
	field string // "project", "key", "updated", "created"
	op    string
	text  string // project or key value

	ms     int64 // epoch ms value (dates)
	minute bool  // the value was a date literal: compare at minute precision
}

type sortKey struct {
	field string // "updated", "created", "key"
	desc  bool
}

// node is a boolean expression over clauses: "and", "or", "not" or
// "clause".
type node struct {
	op   string
	kids []*node
	c    clause
}

type jqlQuery struct {
	where   *node // nil when the query has no restriction
	order   []sortKey
	needKey bool // a clause compares the key
}

type parser struct {
	toks    []token
	i       int
	loc     *time.Location
	needKey bool
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, want string) error {
	got := t.text
	if t.kind == "eof" {
		return &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting %s but reached the end of the query. (line 1, character %d)", want, t.pos)}
	}
	return &jqlError{fmt.Sprintf("Error in the JQL Query: Expecting %s but got '%s'. (line 1, character %d)", want, got, t.pos)}
}

func isWord(t token, w string) bool { return t.kind == "word" && strings.EqualFold(t.text, w) }

func parseJQL(s string, loc *time.Location) (*jqlQuery, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, loc: loc}
	q := &jqlQuery{}
	if !isWord(p.peek(), "order") && p.peek().kind != "eof" {
		if q.where, err = p.or(); err != nil {
			return nil, err
		}
	}
	if isWord(p.peek(), "order") {
		p.next()
		if t := p.next(); !isWord(t, "by") {
			return nil, p.errorf(t, "'by'")
		}
		for {
			t := p.next()
			if t.kind != "word" {
				return nil, p.errorf(t, "a field name")
			}
			f, ok := sortFields[strings.ToLower(t.text)]
			if !ok {
				return nil, &jqlError{fmt.Sprintf("Error in the JQL Query: Field '%s' does not exist or you do not have permission to view it, or it cannot be used for ordering (jiratest orders by updated, created or key). (line 1, character %d)", t.text, t.pos)}
			}
			sk := sortKey{field: f}
			if isWord(p.peek(), "asc") {
				p.next()
			} else if isWord(p.peek(), "desc") {
				p.next()
				sk.desc = true
			}
			q.order = append(q.order, sk)
			if p.peek().kind == "," {
				p.next()
				continue
			}
			break
		}
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, p.errorf(t, "either 'AND', 'OR' or 'ORDER BY'")
	}
	q.needKey = p.needKey
	return q, nil
}

// or parses and {OR and}.
func (p *parser) or() (*node, error) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	if !isWord(p.peek(), "or") {
		return n, nil
	}
	out := &node{op: "or", kids: []*node{n}}
	for isWord(p.peek(), "or") {
		p.next()
		k, err := p.and()
		if err != nil {
			return nil, err
		}
		out.kids = append(out.kids, k)
	}
	return out, nil
}

// and parses unary {AND unary}.
func (p *parser) and() (*node, error) {
	n, err := p.unary()
	if err != nil {
		return nil, err
	}
	if !isWord(p.peek(), "and") {
		return n, nil
	}
	out := &node{op: "and", kids: []*node{n}}
	for isWord(p.peek(), "and") {
		p.next()
		k, err := p.unary()
		if err != nil {
			return nil, err
		}
		out.kids = append(out.kids, k)
	}
	return out, nil
}

// unary parses NOT unary, ( or ), or a clause.
func (p *parser) unary() (*node, error) {
	switch t := p.peek(); {
	case isWord(t, "not"):
		p.next()
		k, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &node{op: "not", kids: []*node{k}}, nil
	case t.kind == "(":
		p.next()
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != ")" {
			return nil, p.errorf(t, "')'")
		}
		return n, nil
	}
	c, err := p.clause()
	if err != nil {
		return nil, err
	}
	return &node{op: "clause", c: c}, nil
}

// lowerBound returns the smallest updated (epoch ms) an issue matching n
// can have, when n implies one through ANDed exact updated restrictions.
func (n *node) lowerBound() (int64, bool) {
	if n == nil {
		return 0, false
	}
	switch n.op {
	case "clause":
		c := n.c
		if c.field != "updated" || c.minute {
			return 0, false
		}
		switch c.op {
		case ">=", "=":
			return c.ms, true
		case ">":
			return c.ms + 1, true
		}
	case "and":
		var lb int64
		found := false
		for _, k := range n.kids {
			if v, ok := k.lowerBound(); ok && (!found || v > lb) {
				lb, found = v, true
			}
		}
		return lb, found
	}
	return 0, false
}

// matchFields are what a match needs of an issue; see Server.fieldsOf.
type matchFields struct {
	key, id, project, projectName string
	updated, created              int64 // epoch ms
}

func (n *node) match(f *matchFields) bool {
	switch n.op {
	case "and":
		for _, k := range n.kids {
			if !k.match(f) {
				return false
			}
		}
		return true
	case "or":
		for _, k := range n.kids {
			if k.match(f) {
				return true
			}
		}
		return false
	case "not":
		return !n.kids[0].match(f)
	}
	return n.c.match(f)
}

var clauseFields = map[string]string{
	"project": "project", "key": "key", "issuekey": "key", "id": "key",
	"updated": "updated", "updateddate": "updated", "created": "created", "createddate": "created",
}

var sortFields = map[string]string{
	"updated": "updated", "updateddate": "updated", "created": "created", "createddate": "created",
	"key": "key", "issuekey": "key",
}

func (p *parser) clause() (clause, error) {
	ft := p.next()
	if ft.kind != "word" {
		return clause{}, p.errorf(ft, "a field name")
	}
	f, ok := clauseFields[strings.ToLower(ft.text)]
	if !ok {
		return clause{}, &jqlError{fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", ft.text)}
	}
	ot := p.next()
	if ot.kind != "op" {
		if isWord(ot, "in") || isWord(ot, "is") || isWord(ot, "was") || isWord(ot, "not") || isWord(ot, "changed") {
			return clause{}, &jqlError{fmt.Sprintf("Error in the JQL Query: The operator '%s' is valid JQL but not supported by jiratest. (line 1, character %d)", ot.text, ot.pos)}
		}
		return clause{}, p.errorf(ot, "operator")
	}
	c := clause{field: f, op: ot.text}
	vt := p.next()
	if vt.kind != "word" && vt.kind != "string" {
		return clause{}, p.errorf(vt, "either a value, 'EMPTY' or a function")
	}
	switch f {
	case "project", "key":
		if f == "key" {
			p.needKey = true
		}
		if c.op != "=" && c.op != "!=" {
			return clause{}, &jqlError{fmt.Sprintf("Error in the JQL Query: The operator '%s' is not supported by the '%s' field. (line 1, character %d)", c.op, ft.text, ot.pos)}
		}
		c.text = vt.text
	default:
		switch c.op {
		case "=", "!=", ">=", ">", "<=", "<":
		default:
			return clause{}, &jqlError{fmt.Sprintf("Error in the JQL Query: The operator '%s' is not supported by the '%s' field. (line 1, character %d)", c.op, ft.text, ot.pos)}
		}
		if vt.kind == "word" && isDigits(vt.text) {
			ms, err := strconv.ParseInt(vt.text, 10, 64)
			if err != nil {
				return clause{}, &jqlError{fmt.Sprintf("Date value '%s' for field '%s' is invalid.", vt.text, ft.text)}
			}
			c.ms = ms
		} else {
			t, ok := parseDateLiteral(vt.text, p.loc)
			if !ok {
				return clause{}, &jqlError{fmt.Sprintf("Date value '%s' for field '%s' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.", vt.text, ft.text)}
			}
			c.ms = t.UnixMilli()
			c.minute = true
		}
	}
	return c, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func parseDateLiteral(s string, loc *time.Location) (time.Time, bool) {
	for _, layout := range []string{"2006-01-02 15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(s), loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func (c *clause) match(f *matchFields) bool {
	switch c.field {
	case "project":
		eq := strings.EqualFold(f.project, c.text) || strings.EqualFold(f.projectName, c.text)
		return eq == (c.op == "=")
	case "key":
		eq := strings.EqualFold(f.key, c.text) || f.id == c.text
		return eq == (c.op == "=")
	}
	v := f.updated
	if c.field == "created" {
		v = f.created
	}
	if c.minute {
		v -= ((v % 60000) + 60000) % 60000
	}
	switch c.op {
	case "=":
		return v == c.ms
	case "!=":
		return v != c.ms
	case ">=":
		return v >= c.ms
	case ">":
		return v > c.ms
	case "<=":
		return v <= c.ms
	case "<":
		return v < c.ms
	}
	return false
}

// less orders issues by the query's ORDER BY, then by key.
func (q *jqlQuery) less(a, b *matchFields) int {
	for _, s := range q.order {
		c := 0
		switch s.field {
		case "updated":
			c = cmpInt(a.updated, b.updated)
		case "created":
			c = cmpInt(a.created, b.created)
		case "key":
			c = compareKeys(a.key, b.key)
		}
		if s.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return compareKeys(a.key, b.key)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// seekOrder reports whether the query is ordered by updated ascending (then
// key ascending, explicitly or as the default tie-break), the order the
// store keeps, so that a page can be found by binary search.
func (q *jqlQuery) seekOrder() bool {
	if len(q.order) == 0 || q.order[0].field != "updated" || q.order[0].desc {
		return false
	}
	for _, s := range q.order[1:] {
		if s.field == "updated" && !s.desc {
			continue
		}
		return s.field == "key" && !s.desc
	}
	return true
}

func projectKey(key string) string {
	if i := strings.LastIndexByte(key, '-'); i > 0 {
		return key[:i]
	}
	return key
}

// compareKeys orders issue keys as Jira does: by project, then by number
// (PLAT-2 before PLAT-10).
func compareKeys(a, b string) int {
	pa, pb := projectKey(a), projectKey(b)
	if c := strings.Compare(pa, pb); c != 0 {
		return c
	}
	na, _ := strconv.Atoi(strings.TrimPrefix(a, pa+"-"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(b, pb+"-"))
	if na != nb {
		if na < nb {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
