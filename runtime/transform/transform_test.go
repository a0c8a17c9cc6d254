package transform

import (
	"fmt"
	"reflect"
	"testing"
)

type row struct {
	Key string
	V   int
}

func TestUniqueByKeepsLastInFirstSeenOrder(t *testing.T) {
	in := []row{{"a", 1}, {"b", 1}, {"a", 2}, {"c", 1}, {"b", 2}, {"a", 3}}
	orig := append([]row(nil), in...)
	got := UniqueBy(in, func(r row) string { return r.Key })
	want := []row{{"a", 3}, {"b", 2}, {"c", 1}}
	if !reflect.DeepEqual(got.Rows, want) {
		t.Fatalf("Rows = %v, want %v", got.Rows, want)
	}
	if got.Duplicates != 3 {
		t.Fatalf("Duplicates = %d, want 3", got.Duplicates)
	}
	if !reflect.DeepEqual(in, orig) {
		t.Fatalf("input modified: %v", in)
	}
}

func TestUniqueByEmptyAndNoDuplicates(t *testing.T) {
	got := UniqueBy([]row(nil), func(r row) string { return r.Key })
	if got.Rows == nil || len(got.Rows) != 0 || got.Duplicates != 0 {
		t.Fatalf("empty: %#v", got)
	}
	in := []row{{"x", 1}, {"y", 2}}
	got = UniqueBy(in, func(r row) string { return r.Key })
	if !reflect.DeepEqual(got.Rows, in) || got.Duplicates != 0 {
		t.Fatalf("distinct: %#v", got)
	}
	got.Rows[0].V = 99
	if in[0].V != 1 {
		t.Fatal("result shares storage with input")
	}
}

func TestUniqueByCompositeKey(t *testing.T) {
	type k struct {
		P string
		N int
	}
	in := []row{{"a", 1}, {"a", 2}, {"a", 1}}
	got := UniqueBy(in, func(r row) k { return k{r.Key, r.V} })
	if len(got.Rows) != 2 || got.Duplicates != 1 {
		t.Fatalf("got %#v", got)
	}
}

func TestConcat(t *testing.T) {
	a := []int{1, 2}
	b := []int(nil)
	c := []int{3}
	got := Concat(a, b, c)
	if !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Fatalf("Concat = %v", got)
	}
	got[0] = 42
	if a[0] != 1 {
		t.Fatal("result shares storage with input")
	}
	if e := Concat[int](); e == nil || len(e) != 0 {
		t.Fatalf("Concat() = %#v, want empty non-nil", e)
	}
}

func BenchmarkUniqueBy100k(b *testing.B) {
	items := make([]row, 100_000)
	for i := range items {
		items[i] = row{Key: fmt.Sprintf("PLAT-%d", i%80_000), V: i}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		u := UniqueBy(items, func(r row) string { return r.Key })
		if len(u.Rows) != 80_000 {
			b.Fatal(len(u.Rows))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(items)), "ns/item")
}

func BenchmarkConcat100k(b *testing.B) {
	x := make([]row, 50_000)
	y := make([]row, 50_000)
	b.ReportAllocs()
	for b.Loop() {
		if len(Concat(x, y)) != 100_000 {
			b.Fatal("len")
		}
	}
}
