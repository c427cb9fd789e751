package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// startPushdownStack is startStack with the gate as main.go builds it: with
// the SQLite _id index (idindex.go).
func startPushdownStack(t *testing.T) stack {
	t.Helper()
	return startPushdownStackIn(t, t.TempDir())
}

// startPushdownStackIn is startPushdownStack with FerretDB's files in dir.
func startPushdownStackIn(t *testing.T, dir string) stack {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, sock := newTestFerretDB(t, dir, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ferretCtx, stopFerret := context.WithCancel(context.Background())
	ferretDone := make(chan struct{})
	go func() { defer close(ferretDone); _ = f.Run(ferretCtx) }()

	g := &gate{backend: sock, logger: logger, idIndex: newIDIndexer(dir, logger)}
	gateDone := make(chan struct{})
	go func() { defer close(gateDone); g.serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-gateDone
		g.idIndex.close()
		stopFerret()
		<-ferretDone
	})
	return stack{gateURI: "mongodb://" + ln.Addr().String() + "/", directURI: directURI(sock)}
}

// counts is a snapshot of pushdownCounts.
type counts struct{ matched, nomatch, absent int64 }

func readCounts() counts {
	return counts{pushdownCounts.matched.Load(), pushdownCounts.nomatch.Load(), pushdownCounts.absent.Load()}
}

func (c counts) minus(o counts) counts {
	return counts{c.matched - o.matched, c.nomatch - o.nomatch, c.absent - o.absent}
}

func (c counts) plus(o counts) counts {
	return counts{c.matched + o.matched, c.nomatch + o.nomatch, c.absent + o.absent}
}

func (c counts) total() int64 { return c.matched + c.nomatch + c.absent }

// outcome names what the gate did with a request, from the counters' change.
func (c counts) outcome() string {
	switch {
	case c == counts{}:
		return "passed"
	case c == counts{matched: 1}:
		return "matched"
	case c == counts{nomatch: 1}:
		return "nomatch"
	case c == counts{absent: 1}:
		return "absent"
	}
	return fmt.Sprintf("%+v", c)
}

// withoutPushdown runs fn with the rewrite turned off (tests run one at a time).
func withoutPushdown(fn func()) {
	pushdownOff.Store(true)
	defer pushdownOff.Store(false)
	fn()
}

func mustDoc(t *testing.T, v any) bsoncore.Document {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPushdownMatcher checks the matcher's answers without FerretDB,
// including where it must give up (known = false).
func TestPushdownMatcher(t *testing.T) {
	day := primitive.NewDateTimeFromTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	doc := mustDoc(t, bson.D{
		{Key: "_id", Value: "a"}, {Key: "v", Value: int32(3)}, {Key: "d", Value: 2.5},
		{Key: "big", Value: int64(1<<53 + 1)}, {Key: "s", Value: "created"}, {Key: "h", Value: nil},
		{Key: "b", Value: true}, {Key: "t", Value: day}, {Key: "arr", Value: bson.A{"x", "y"}},
		{Key: "nested", Value: bson.A{"x", bson.A{"y"}}}, {Key: "sub", Value: bson.D{{Key: "k", Value: int64(1)}}},
		{Key: "dec", Value: primitive.NewDecimal128(0, 3)}, {Key: "withNull", Value: bson.A{"x", nil}},
	})
	const unknown = "unknown"
	cases := []struct {
		filter bson.D
		want   any // true, false or unknown
	}{
		{bson.D{{Key: "v", Value: 3}}, true},
		{bson.D{{Key: "v", Value: 3.0}}, true},
		{bson.D{{Key: "v", Value: int64(3)}}, true},
		{bson.D{{Key: "v", Value: 4}}, false},
		{bson.D{{Key: "v", Value: "3"}}, false},
		{bson.D{{Key: "d", Value: 2.5}}, true},
		{bson.D{{Key: "big", Value: float64(1 << 53)}}, false}, // no rounding
		{bson.D{{Key: "big", Value: int64(1<<53 + 1)}}, true},
		{bson.D{{Key: "s", Value: "created"}, {Key: "v", Value: 3}}, true},
		{bson.D{{Key: "s", Value: "created"}, {Key: "v", Value: 2}}, false},
		{bson.D{{Key: "h", Value: nil}}, true},
		{bson.D{{Key: "missing", Value: nil}}, true},
		{bson.D{{Key: "s", Value: nil}}, false},
		{bson.D{{Key: "h", Value: bson.D{{Key: "$exists", Value: true}}}}, true},
		{bson.D{{Key: "missing", Value: bson.D{{Key: "$exists", Value: false}}}}, true},
		{bson.D{{Key: "h", Value: bson.D{{Key: "$ne", Value: nil}}}}, false},
		{bson.D{{Key: "s", Value: bson.D{{Key: "$ne", Value: "created"}}}}, false},
		{bson.D{{Key: "s", Value: bson.D{{Key: "$eq", Value: "created"}}}}, true},
		{bson.D{{Key: "s", Value: bson.D{{Key: "$in", Value: bson.A{"x", "created"}}}}}, true},
		{bson.D{{Key: "s", Value: bson.D{{Key: "$in", Value: bson.A{}}}}}, false},
		{bson.D{{Key: "b", Value: true}}, true},
		{bson.D{{Key: "b", Value: 1}}, false},
		{bson.D{{Key: "t", Value: day}}, true},
		{bson.D{{Key: "t", Value: bson.D{{Key: "$gt", Value: day}}}}, false},
		{bson.D{{Key: "t", Value: bson.D{{Key: "$lte", Value: day}}}}, true},
		{bson.D{{Key: "v", Value: bson.D{{Key: "$gte", Value: 3}, {Key: "$lt", Value: 3.5}}}}, true},
		{bson.D{{Key: "missing", Value: bson.D{{Key: "$gt", Value: 1}}}}, false},
		{bson.D{{Key: "arr", Value: "x"}}, true},
		{bson.D{{Key: "arr", Value: bson.D{{Key: "$ne", Value: "x"}}}}, false},
		{bson.D{{Key: "arr", Value: bson.D{{Key: "$ne", Value: "z"}}}}, true},
		{bson.D{{Key: "sub.k", Value: 1}}, true},
		{bson.D{{Key: "s.k", Value: nil}}, true},
		// null against a document or an array: a document is never null, an array is when it holds one
		{bson.D{{Key: "sub", Value: nil}}, false},
		{bson.D{{Key: "sub", Value: bson.D{{Key: "$ne", Value: nil}}}}, true},
		{bson.D{{Key: "arr", Value: nil}}, false},
		{bson.D{{Key: "withNull", Value: nil}}, true},
		{bson.D{{Key: "withNull", Value: bson.D{{Key: "$ne", Value: nil}}}}, false},
		// where it gives up
		{bson.D{{Key: "nested", Value: "x"}}, unknown},
		{bson.D{{Key: "arr.0", Value: "x"}}, unknown},
		{bson.D{{Key: "dec", Value: 3}}, unknown},
		{bson.D{{Key: "v", Value: bson.D{{Key: "$gt", Value: "a"}}}}, unknown},
		{bson.D{{Key: "s", Value: 3}, {Key: "sub", Value: 1}}, unknown}, // one unknown condition decides
	}
	for _, c := range cases {
		matched, known := matchFilter(mustDoc(t, c.filter), doc)
		got := any(matched)
		if !known {
			got = unknown
		}
		if got != c.want {
			t.Errorf("%v: got %v, want %v", c.filter, got, c.want)
		}
	}
}

// TestPushdownPlan checks which requests are rewritten at all.
func TestPushdownPlan(t *testing.T) {
	msg := func(body bson.D) []byte {
		return (&opMsgParts{requestID: 7}).build(mustDoc(t, body), nil)
	}
	oid := primitive.NewObjectID()
	cases := []struct {
		name string
		body bson.D
		want bool
	}{
		{"find {_id, version}", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: oid}, {Key: "version", Value: 3}}}, {Key: "$db", Value: "d"}}, true},
		{"find {_id} alone (FerretDB pushes it down itself)", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: oid}}}, {Key: "$db", Value: "d"}}, false},
		{"find _id int", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 3}}}, {Key: "$db", Value: "d"}}, false},
		{"find _id operator", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: bson.D{{Key: "$eq", Value: "x"}}}, {Key: "v", Value: 3}}}, {Key: "$db", Value: "d"}}, false},
		{"find $or", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "$or", Value: bson.A{bson.D{{Key: "v", Value: 1}}}}}}, {Key: "$db", Value: "d"}}, false},
		{"find $regex", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "s", Value: bson.D{{Key: "$regex", Value: "^a"}}}}}, {Key: "$db", Value: "d"}}, false},
		{"find hint", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "hint", Value: "_id_"}, {Key: "$db", Value: "d"}}, false},
		{"find collation", bson.D{{Key: "find", Value: "c"}, {Key: "filter", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "collation", Value: bson.D{{Key: "locale", Value: "en"}}}, {Key: "$db", Value: "d"}}, false},
		{"findAndModify", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 4}}}}}, {Key: "new", Value: true}, {Key: "$db", Value: "d"}}, true},
		{"findAndModify upsert", bson.D{{Key: "findAndModify", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "update", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 4}}}}}, {Key: "upsert", Value: true}, {Key: "$db", Value: "d"}}, false},
		{"update one statement", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 4}}}}}}}}, {Key: "ordered", Value: true}, {Key: "$db", Value: "d"}}, true},
		{"update upsert", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "u", Value: bson.D{}}, {Key: "upsert", Value: true}}}}, {Key: "$db", Value: "d"}}, false},
		{"update two statements", bson.D{{Key: "update", Value: "c"}, {Key: "updates", Value: bson.A{
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "u", Value: bson.D{}}},
			bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: "y"}, {Key: "v", Value: 3}}}, {Key: "u", Value: bson.D{}}},
		}}, {Key: "$db", Value: "d"}}, false},
		{"delete", bson.D{{Key: "delete", Value: "c"}, {Key: "deletes", Value: bson.A{bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "limit", Value: 1}}}}, {Key: "$db", Value: "d"}}, true},
		{"count", bson.D{{Key: "count", Value: "c"}, {Key: "query", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "$db", Value: "d"}}, true},
		{"aggregate", bson.D{{Key: "aggregate", Value: "c"}, {Key: "pipeline", Value: bson.A{}}, {Key: "$db", Value: "d"}}, false},
	}
	for _, c := range cases {
		if got := planPushdown(msg(c.body)) != nil; got != c.want {
			t.Errorf("%s: planned = %v, want %v", c.name, got, c.want)
		}
	}

	// Flags: checksum, moreToCome and exhaustAllowed requests pass through.
	body := cases[0].body
	for _, flags := range []uint32{flagChecksumFound, flagMoreToCome, 1 << 16} {
		m := (&opMsgParts{requestID: 7, flags: flags}).build(mustDoc(t, body), nil)
		if flags == flagChecksumFound {
			m = append(m, 0, 0, 0, 0)
			m[0] += 4
		}
		if planPushdown(m) != nil {
			t.Errorf("flags %#x: planned, want passed through", flags)
		}
	}

	// A kind-1 sequence (what the Go driver sends) is rewritten in place.
	stmt := mustDoc(t, bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: 3}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 4}}}}}})
	seqMsg := (&opMsgParts{requestID: 9, seqs: []docSequence{{id: "updates", docs: []bsoncore.Document{stmt}}}}).
		build(mustDoc(t, bson.D{{Key: "update", Value: "c"}, {Key: "$db", Value: "d"}}), nil)
	p := planPushdown(seqMsg)
	if p == nil {
		t.Fatal("update with an updates sequence: not planned")
	}
	out, ok := parseOpMsg(p.rebuild(mustDoc(t, bson.D{{Key: "_id", Value: "x"}})))
	if !ok || out.requestID != 9 || len(out.seqs) != 1 || out.seqs[0].id != "updates" || len(out.seqs[0].docs) != 1 {
		t.Fatalf("rebuilt sequence message: %+v", out)
	}
	if got := out.seqs[0].docs[0].String(); got != `{"q": {"_id": "x"},"u": {"$set": {"v": {"$numberInt":"4"}}}}` {
		t.Errorf("rebuilt statement = %s", got)
	}
}

// TestPushdownAgreesWithFerretDB runs many filters {_id: X, …} through the
// gate and directly against FerretDB (which evaluates them itself) and wants
// the same documents, and most of them rewritten.
func TestPushdownAgreesWithFerretDB(t *testing.T) {
	s := startPushdownStack(t)
	viaGate, direct := connect(t, s.gateURI), connect(t, s.directURI)
	ctx := context.Background()
	day := primitive.NewDateTimeFromTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	oid := primitive.NewObjectID()

	docs := []any{
		bson.D{{Key: "_id", Value: "a"}, {Key: "v", Value: int32(3)}, {Key: "s", Value: "created"}, {Key: "h", Value: nil},
			{Key: "big", Value: int64(1<<53 + 1)}, {Key: "arr", Value: bson.A{"x", "y"}}, {Key: "t", Value: day},
			{Key: "sub", Value: bson.D{{Key: "k", Value: int64(1)}}}, {Key: "b", Value: true}},
		bson.D{{Key: "_id", Value: "b"}, {Key: "v", Value: int64(3)}, {Key: "s", Value: "cancelled"}, {Key: "arr", Value: bson.A{}},
			{Key: "sub", Value: bson.D{{Key: "k", Value: "1"}}}, {Key: "b", Value: false}},
		bson.D{{Key: "_id", Value: oid}, {Key: "v", Value: 2.5}, {Key: "s", Value: "created"}, {Key: "h", Value: int32(1)},
			{Key: "arr", Value: bson.A{"x", bson.D{{Key: "y", Value: 1}}}}, {Key: "t", Value: primitive.DateTime(int64(day) + 1)}},
		bson.D{{Key: "_id", Value: "c"}},
		bson.D{{Key: "_id", Value: "d"}, {Key: "arr", Value: bson.A{"x", nil}}, {Key: "sub", Value: nil}},
	}
	if _, err := direct.Database("pd").Collection("docs").InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	ids := []any{"a", "b", oid, "c", "d", "nope"}

	m := func(k string, v any) bson.E { return bson.E{Key: k, Value: v} }
	op := func(o string, v any) bson.D { return bson.D{{Key: o, Value: v}} }
	conds := []bson.D{
		{m("v", 3)}, {m("v", 3.0)}, {m("v", int64(3))}, {m("v", 2.5)}, {m("v", 4)}, {m("v", "3")},
		{m("s", "created")}, {m("s", op("$ne", "created"))}, {m("s", op("$eq", "created"))},
		{m("s", op("$in", bson.A{"created", "cancelled"}))}, {m("s", op("$in", bson.A{}))},
		{m("h", nil)}, {m("h", op("$ne", nil))}, {m("h", op("$exists", true))}, {m("h", op("$exists", false))},
		{m("missing", nil)}, {m("missing", op("$exists", false))},
		{m("big", int64(1<<53+1))}, {m("big", float64(1<<53))},
		{m("arr", "x")}, {m("arr", op("$ne", "x"))}, {m("arr", op("$ne", "z"))}, {m("arr", op("$in", bson.A{"y", "z"}))},
		{m("sub.k", 1)}, {m("sub.k", "1")}, {m("sub.k", op("$exists", false))}, {m("s.x", nil)},
		{m("sub", nil)}, {m("sub", op("$ne", nil))}, {m("arr", nil)}, {m("arr", op("$ne", nil))},
		{m("t", day)}, {m("t", op("$gt", day))}, {m("t", op("$lte", day))},
		{m("v", op("$gt", 2))}, {m("v", bson.D{{Key: "$gte", Value: 3}, {Key: "$lt", Value: 4}})}, {m("s", op("$gt", "b"))},
		{m("b", true)}, {m("b", false)}, {m("b", 1)},
		{m("v", 3), m("s", "created")}, {m("v", 3), m("s", "cancelled")},
		// not understood: pass through, still answered by FerretDB
		{m("sub", bson.D{{Key: "k", Value: int64(1)}})}, {m("s", op("$regex", "^cr"))},
		{m("$or", bson.A{bson.D{m("v", 3)}, bson.D{m("v", 2.5)}})}, {m("v", op("$nin", bson.A{3}))},
	}

	find := func(c *mongo.Client, filter bson.D) []string {
		return findShown(t, c.Database("pd").Collection("docs"), filter, "_id")
	}

	var rewritten counts
	total := 0
	for _, id := range ids {
		for _, cond := range conds {
			filter := append(bson.D{{Key: "_id", Value: id}}, cond...)
			before := readCounts()
			got := find(viaGate, filter)
			rewritten = rewritten.plus(readCounts().minus(before))
			want := find(direct, filter)
			total++
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%v: through the gate %v, FerretDB alone %v", filter, got, want)
			}
		}
	}
	t.Logf("%d filters: %d matched, %d did not match, %d absent _id, %d passed through",
		total, rewritten.matched, rewritten.nomatch, rewritten.absent, int64(total)-rewritten.total())
	if rewritten.matched == 0 || rewritten.nomatch == 0 || rewritten.absent == 0 {
		t.Errorf("expected every outcome at least once: %+v", rewritten)
	}
}

// result is what one command did: its reply (or error) and the collection afterwards.
type result struct {
	reply, state string
	outcome      string // what the gate did (passed, matched, nomatch, absent)
}

// runOn resets pd.cmd to seed, runs cmd through c and returns what happened.
func runOn(t *testing.T, c *mongo.Client, seed []any, cmd bson.D) result {
	t.Helper()
	ctx := context.Background()
	db := c.Database("pd")
	if err := db.Collection("cmd").Drop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Collection("cmd").InsertMany(ctx, seed); err != nil {
		t.Fatal(err)
	}

	before := readCounts()
	var r result
	raw, err := db.RunCommand(ctx, cmd).Raw()
	r.outcome = readCounts().minus(before).outcome()
	if err != nil {
		var ce mongo.CommandError
		if errors.As(err, &ce) {
			r.reply = fmt.Sprintf("error %d %s", ce.Code, ce.Message)
		} else {
			r.reply = "error " + err.Error()
		}
	} else {
		r.reply = raw.String()
	}

	cur, err := db.Collection("cmd").Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var all []bson.Raw
	if err = cur.All(ctx, &all); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, d := range all {
		sb.WriteString(d.String())
		sb.WriteString("\n")
	}
	r.state = sb.String()
	return r
}

// TestPushdownCommands runs each command kind through the gate (rewritten)
// and with the rewrite off (FerretDB evaluates the original filter) and wants
// the same reply and the same stored documents. The commands are sent in the
// body, as the Node driver 6.x sends them.
func TestPushdownCommands(t *testing.T) {
	c := connect(t, startPushdownStack(t).gateURI)
	oid := primitive.NewObjectID()
	seed := []any{
		bson.D{{Key: "_id", Value: "o1"}, {Key: "version", Value: 3}, {Key: "holdVersion", Value: nil}, {Key: "status", Value: "created"}, {Key: "n", Value: 1}},
		bson.D{{Key: "_id", Value: oid}, {Key: "version", Value: 1}, {Key: "status", Value: "complete"}, {Key: "tags", Value: bson.A{"a", "b"}}},
		bson.D{{Key: "_id", Value: "o3"}, {Key: "version", Value: 0}, {Key: "sub", Value: bson.D{{Key: "x", Value: 1}}}},
	}
	q := func(id any, rest ...bson.E) bson.D { return append(bson.D{{Key: "_id", Value: id}}, rest...) }
	e := func(k string, v any) bson.E { return bson.E{Key: k, Value: v} }
	set := bson.D{e("$set", bson.D{e("status", "cancelled")}), e("$inc", bson.D{e("version", 1)})}

	type tc struct {
		name string
		cmd  bson.D
		want string // the gate's outcome
	}
	var cases []tc
	filters := []struct {
		name   string
		filter bson.D
		want   string
	}{
		{"match", q("o1", e("version", 3), e("holdVersion", nil)), "matched"},
		{"match ObjectId, array $ne", q(oid, e("version", int64(1)), e("tags", bson.D{e("$ne", "c")})), "matched"},
		{"no match", q("o1", e("version", 2), e("holdVersion", nil)), "nomatch"},
		{"no match array", q(oid, e("tags", "c")), "nomatch"},
		{"absent", q("o9", e("version", 3)), "absent"},
		{"embedded field against null: no match", q("o3", e("sub", nil)), "nomatch"},
		{"embedded field against a document: passes", q("o3", e("sub", bson.D{e("x", 1)})), "passed"},
		{"$or: passes", q("o1", e("$or", bson.A{bson.D{e("version", 3)}, bson.D{e("version", 4)}})), "passed"},
		{"$regex: passes", q("o1", e("status", bson.D{e("$regex", "^cr")})), "passed"},
	}
	for _, f := range filters {
		cases = append(cases,
			tc{"find " + f.name, bson.D{e("find", "cmd"), e("filter", f.filter), e("projection", bson.D{e("status", 1)}), e("sort", bson.D{e("version", -1)}), e("limit", 5)}, f.want},
			tc{"count " + f.name, bson.D{e("count", "cmd"), e("query", f.filter)}, f.want},
			tc{"findAndModify new " + f.name, bson.D{e("findAndModify", "cmd"), e("query", f.filter), e("update", set), e("new", true), e("fields", bson.D{e("n", 0)})}, f.want},
			tc{"findAndModify old " + f.name, bson.D{e("findAndModify", "cmd"), e("query", f.filter), e("update", set)}, f.want},
			tc{"findAndModify remove " + f.name, bson.D{e("findAndModify", "cmd"), e("query", f.filter), e("remove", true)}, f.want},
			tc{"update " + f.name, bson.D{e("update", "cmd"), e("updates", bson.A{bson.D{e("q", f.filter), e("u", set)}}), e("ordered", true)}, f.want},
			tc{"update multi " + f.name, bson.D{e("update", "cmd"), e("updates", bson.A{bson.D{e("q", f.filter), e("u", set), e("multi", true)}})}, f.want},
			tc{"delete " + f.name, bson.D{e("delete", "cmd"), e("deletes", bson.A{bson.D{e("q", f.filter), e("limit", 1)}})}, f.want},
		)
	}
	cases = append(cases,
		tc{"findAndModify upsert: passes", bson.D{e("findAndModify", "cmd"), e("query", q("o9", e("version", 3))), e("update", set), e("upsert", true), e("new", true)}, "passed"},
		tc{"findAndModify upsert existing: passes", bson.D{e("findAndModify", "cmd"), e("query", q("o1", e("version", 2))), e("update", set), e("upsert", true)}, "passed"},
		tc{"update upsert: passes", bson.D{e("update", "cmd"), e("updates", bson.A{bson.D{e("q", q("o9", e("version", 3))), e("u", set), e("upsert", true)}})}, "passed"},
		// FerretDB validates the update whether or not a document matches; forwarding keeps that.
		tc{"findAndModify bad update, no match", bson.D{e("findAndModify", "cmd"), e("query", q("o1", e("version", 2))), e("update", bson.D{e("$bogus", bson.D{e("a", 1)})})}, "nomatch"},
		tc{"update bad update, no match", bson.D{e("update", "cmd"), e("updates", bson.A{bson.D{e("q", q("o1", e("version", 2))), e("u", bson.D{e("$set", bson.D{e("a", 1)}), e("$inc", bson.D{e("a", 1)})})}})}, "nomatch"},
	)

	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			got := runOn(t, c, seed, k.cmd)
			var want result
			withoutPushdown(func() { want = runOn(t, c, seed, k.cmd) })
			if got.outcome != k.want {
				t.Errorf("gate: %s, want %s", got.outcome, k.want)
			}
			if want.outcome != "passed" {
				t.Errorf("with the pushdown off the gate still rewrote (%s)", want.outcome)
			}
			if got.reply != want.reply {
				t.Errorf("reply\n  with pushdown:    %s\n  without pushdown: %s", got.reply, want.reply)
			}
			if got.state != want.state {
				t.Errorf("stored\n  with pushdown:\n%s  without pushdown:\n%s", got.state, want.state)
			}
		})
	}
}

// TestPushdownGoDriverSequences covers the kind-1 document sequences the Go
// driver uses for update and delete: the same results with and without the rewrite.
func TestPushdownGoDriverSequences(t *testing.T) {
	c := connect(t, startPushdownStack(t).gateURI)
	ctx := context.Background()
	coll := c.Database("pd").Collection("seq")
	run := func() (string, counts) {
		_ = coll.Drop(ctx)
		if _, err := coll.InsertMany(ctx, []any{bson.M{"_id": "a", "version": 1}, bson.M{"_id": "b", "version": 1}}); err != nil {
			t.Fatal(err)
		}
		before := readCounts()
		var out []string
		for _, f := range []bson.M{{"_id": "a", "version": 1}, {"_id": "a", "version": 1}, {"_id": "z", "version": 1}} {
			r, err := coll.UpdateOne(ctx, f, bson.M{"$inc": bson.M{"version": 1}})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("update %d/%d", r.MatchedCount, r.ModifiedCount))
		}
		for _, f := range []bson.M{{"_id": "b", "version": 2}, {"_id": "b", "version": 1}} {
			r, err := coll.DeleteOne(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("delete %d", r.DeletedCount))
		}
		n, err := coll.CountDocuments(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out, " left ", n), readCounts().minus(before)
	}
	got, gotCounts := run()
	var want string
	withoutPushdown(func() { want, _ = run() })
	if got != want {
		t.Errorf("with pushdown %s, without %s", got, want)
	}
	if gotCounts != (counts{matched: 2, nomatch: 2, absent: 1}) {
		t.Errorf("rewrites = %+v, want 2 matched, 2 nomatch, 1 absent", gotCounts)
	}
	t.Logf("%s (rewrites %+v)", got, gotCounts)
}

// TestPushdownCASRace: 25 concurrent compare-and-set findOneAndUpdate calls
// ({_id, version} filter, all rewritten) have exactly one winner.
func TestPushdownCASRace(t *testing.T) {
	c := connect(t, startPushdownStack(t).gateURI)
	ctx := context.Background()
	coll := c.Database("pd").Collection("cas")
	id := primitive.NewObjectID()
	if _, err := coll.InsertOne(ctx, bson.M{"_id": id, "version": 0, "status": "created"}); err != nil {
		t.Fatal(err)
	}

	const n = 25
	before := readCounts()
	winners := casWinners(t, coll, n, bson.M{"_id": id, "version": 0, "status": "created"},
		func(i int) bson.M { return bson.M{"$set": bson.M{"version": 1, "status": "cancelled", "by": i}} })
	rewrites := readCounts().minus(before)
	t.Logf("%d concurrent {_id, version} findOneAndUpdate -> %d winner(s); rewrites %+v", n, winners, rewrites)
	if winners != 1 {
		t.Fatalf("winners = %d, want exactly 1", winners)
	}
	if rewrites != (counts{matched: 1, nomatch: n - 1}) {
		t.Errorf("rewrites = %+v, want 1 matched and %d nomatch", rewrites, n-1)
	}
	var doc bson.M
	if err := coll.FindOne(ctx, bson.M{"_id": id}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc["version"] != int32(1) {
		t.Errorf("version = %v, want 1", doc["version"])
	}
}

// casWinners runs n findOneAndUpdate(filter, update(i)) on coll at once (all
// released together) and returns how many of them found their document.
func casWinners(t *testing.T, coll *mongo.Collection, n int, filter bson.M, update func(i int) bson.M) int {
	t.Helper()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := coll.FindOneAndUpdate(context.Background(), filter, update(i)).Err()
			switch {
			case err == nil:
				mu.Lock()
				winners++
				mu.Unlock()
			case !errors.Is(err, mongo.ErrNoDocuments):
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return winners
}

// TestPushdownTiming measures a compare-and-set findOneAndUpdate
// ({_id, version}) in a collection of 20,000 documents with and without the
// pushdown. `go test -run TestPushdownTiming -v ./cmd/ferretdb/` prints the figures.
func TestPushdownTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 20,000 documents")
	}
	const docs = 20000
	c := connect(t, startPushdownStack(t).gateURI)
	ctx := context.Background()
	coll := c.Database("pd").Collection("big")

	cas := func(id primitive.ObjectID, version int) time.Duration {
		started := time.Now()
		err := coll.FindOneAndUpdate(ctx, bson.M{"_id": id, "version": version},
			bson.M{"$set": bson.M{"status": "cancelled"}, "$inc": bson.M{"version": 1}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Err()
		elapsed := time.Since(started)
		if version == 0 && err != nil {
			t.Fatal(err)
		}
		if version != 0 && !errors.Is(err, mongo.ErrNoDocuments) {
			t.Fatalf("stale version: %v, want no document", err)
		}
		return elapsed
	}
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}

	byID := func(id primitive.ObjectID) time.Duration {
		started := time.Now()
		if err := coll.FindOne(ctx, bson.M{"_id": id}).Err(); err != nil {
			t.Fatal(err)
		}
		return time.Since(started)
	}

	ids := make([]primitive.ObjectID, docs)
	var with, withStale, withByID, without, withoutByID []time.Duration
	withoutPushdown(func() { // as before: no rewrite, no SQLite index
		batch := make([]any, 0, 1000)
		for i := range ids {
			ids[i] = primitive.NewObjectID()
			batch = append(batch, bson.M{"_id": ids[i], "version": 0, "status": "created", "userId": fmt.Sprintf("user-%d", i%97),
				"ticket": bson.M{"title": "concert", "price": 20}, "expiresAt": time.Now()})
			if len(batch) == cap(batch) {
				if _, err := coll.InsertMany(ctx, batch); err != nil {
					t.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		for i := range 3 {
			without = append(without, cas(ids[docs-1-i], 0))
			withoutByID = append(withoutByID, byID(ids[docs-10-i]))
		}
	})
	for i := range 21 {
		with = append(with, cas(ids[docs-100-i], 0))
		withStale = append(withStale, cas(ids[docs-100-i], 7))
		withByID = append(withByID, byID(ids[docs-200-i]))
	}
	t.Logf("over %d documents, median: findOneAndUpdate({_id, version}) with pushdown %v (stale version %v), without %v; findOne({_id}) with the index %v, without %v",
		docs, median(with), median(withStale), median(without), median(withByID), median(withoutByID))
	if median(with)*10 > median(without) {
		t.Errorf("the pushdown is not 10x faster: %v vs %v", median(with), median(without))
	}
}

// TestIDIndex checks the SQLite index of idindex.go: created for a collection
// once it exists, used by FerretDB's {_id} query, invisible to clients, back
// after the collection is dropped and re-created, and no database file is
// created for a database that does not exist.
func TestIDIndex(t *testing.T) {
	dir := t.TempDir()
	c := connect(t, startPushdownStackIn(t, dir).gateURI)
	ctx := context.Background()
	coll := c.Database("idx").Collection("things")

	sqlite := func() *sql.DB {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "idx.sqlite")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}()
	plan := func() string {
		var table string
		if err := sqlite.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = 'things'`).Scan(&table); err != nil {
			t.Fatal(err)
		}
		rows, err := sqlite.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"a"`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err = rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	touch := func() {
		if _, err := coll.InsertOne(ctx, bson.M{"_id": "a", "v": 1}); err != nil {
			t.Fatal(err)
		}
		if err := coll.FindOne(ctx, bson.M{"_id": "a"}).Err(); err != nil {
			t.Fatal(err)
		}
	}

	touch()
	if p := plan(); !strings.Contains(p, "_gate_id") {
		t.Fatalf("query plan %q does not use the gate's index", p)
	}
	specs, err := coll.Indexes().ListSpecifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || specs[0].Name != "_id_" {
		t.Errorf("listIndexes = %v, want only _id_", specs)
	}

	if err = coll.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	touch()
	if p := plan(); !strings.Contains(p, "_gate_id") {
		t.Fatalf("after drop and re-create: query plan %q does not use the gate's index", p)
	}

	if err = c.Database("nodb").Collection("x").FindOne(ctx, bson.M{"_id": "a", "v": 1}).Err(); !errors.Is(err, mongo.ErrNoDocuments) {
		t.Fatalf("find in a database that does not exist: %v", err)
	}
	if _, err = os.Stat(filepath.Join(dir, "nodb.sqlite")); !os.IsNotExist(err) {
		t.Errorf("nodb.sqlite: %v, want it not to exist", err)
	}
	names, err := c.ListDatabaseNames(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("query plan: %s; databases: %v", plan(), names)
}

// findShown runs a find and shows each document found by the given fields
// (space-separated), in the order returned.
func findShown(t *testing.T, coll *mongo.Collection, filter bson.D, fields string, opts ...*options.FindOptions) []string {
	t.Helper()
	cur, err := coll.Find(context.Background(), filter, opts...)
	if err != nil {
		t.Fatalf("%v: %v", filter, err)
	}
	var out []bson.M
	if err = cur.All(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range out {
		var shown []any
		for _, f := range strings.Fields(fields) {
			shown = append(shown, d[f])
		}
		got = append(got, fmt.Sprint(shown...))
	}
	return got
}

// TestIDSet checks the gate's own answer to a find of {_id: {$in: [...]}}:
// the same documents FerretDB alone returns (in _id order), one lookup per id
// instead of a scan, and everything else passed through.
func TestIDSet(t *testing.T) {
	s := startPushdownStack(t)
	viaGate, direct := connect(t, s.gateURI), connect(t, s.directURI)
	ctx := context.Background()
	coll := "idset"
	var docs []any
	var oids []primitive.ObjectID
	for i := 0; i < 2000; i++ {
		oid := primitive.NewObjectID()
		oids = append(oids, oid)
		docs = append(docs, bson.D{{Key: "_id", Value: oid}, {Key: "n", Value: i}, {Key: "sub", Value: bson.D{{Key: "k", Value: i}}}})
	}
	docs = append(docs, bson.D{{Key: "_id", Value: "s1"}, {Key: "n", Value: -1}}, bson.D{{Key: "_id", Value: "s2"}, {Key: "n", Value: -2}})
	if _, err := direct.Database("pd").Collection(coll).InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	ids := func(c *mongo.Client, filter bson.D, opts ...*options.FindOptions) []string {
		return findShown(t, c.Database("pd").Collection(coll), filter, "_id n sub", opts...)
	}
	in := func(vals ...any) bson.D {
		return bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A(vals)}}}}
	}
	missing := primitive.NewObjectID()

	served := []bson.D{
		in(oids[1500], oids[3], missing, oids[700], oids[3]), // unordered, a duplicate, one missing
		in(oids[42]),
		in(missing),
		in("s2", "s1", "nope"),
	}
	for _, f := range served {
		before := idSetCount.Load()
		got := ids(viaGate, f)
		if idSetCount.Load() != before+1 {
			t.Errorf("%v: not served by the gate", f)
		}
		want := ids(direct, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: through the gate %v, FerretDB alone %v", f, got, want)
		}
	}

	passed := []struct {
		filter bson.D
		opts   *options.FindOptions
	}{
		{in(oids[1], "s1"), nil},                               // mixed types
		{append(in(oids[1]), bson.E{Key: "n", Value: 1}), nil}, // another condition
		{in(oids[1], oids[2]), options.Find().SetProjection(bson.D{{Key: "n", Value: 1}})},
		{in(oids[1], oids[2]), options.Find().SetSort(bson.D{{Key: "n", Value: -1}})},
		{in(oids[1], oids[2]), options.Find().SetLimit(1)},
		{bson.D{{Key: "_id", Value: bson.D{{Key: "$nin", Value: bson.A{oids[1]}}}}}, options.Find().SetLimit(3)},
	}
	for _, c := range passed {
		before := idSetCount.Load()
		var opts []*options.FindOptions
		if c.opts != nil {
			opts = append(opts, c.opts)
		}
		got := ids(viaGate, c.filter, opts...)
		if idSetCount.Load() != before {
			t.Errorf("%v: served by the gate, want passed through", c.filter)
		}
		want := ids(direct, c.filter, opts...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%v: through the gate %v, FerretDB alone %v", c.filter, got, want)
		}
	}

	// The point of it: 5 ids among 2,000 documents without a scan. FerretDB alone decodes
	// every document for $in; the gate reads five by _id.
	f := in(oids[10], oids[500], oids[999], oids[1500], oids[1999])
	start := time.Now()
	for i := 0; i < 20; i++ {
		ids(viaGate, f)
	}
	gate := time.Since(start) / 20
	start = time.Now()
	for i := 0; i < 20; i++ {
		ids(direct, f)
	}
	alone := time.Since(start) / 20
	t.Logf("find of 5 ids among 2,002 documents: through the gate %v, FerretDB alone %v", gate, alone)
}
