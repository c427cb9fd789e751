package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// getStats reads GET url and decodes the snapshot; it fails the test on any other status.
func getStats(t *testing.T, url string) statsSnapshot {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("GET %s: content type %q", url, ct)
	}
	var snap statsSnapshot
	if err = json.NewDecoder(res.Body).Decode(&snap); err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestGateStats checks that --stats-listen counts every forwarded command under its
// database, command name and collection, including inserts whose documents travel in an
// OP_MSG document sequence (kind 1 section) and a cursor's getMore.
func TestGateStats(t *testing.T) {
	st := newStats()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(serveStats(st, ln, false))
	url := "http://" + ln.Addr().String() + "/stats"

	c := connect(t, startStackWith(t, st).gateURI)
	before := getStats(t, url)
	if n := before.Databases["shop"]["insert"]; n != 0 {
		t.Fatalf("before any write: shop insert = %d, want 0", n)
	}

	ctx := context.Background()
	coll := c.Database("shop").Collection("tickets")
	if _, err = coll.InsertOne(ctx, bson.M{"_id": 1, "title": "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err = coll.InsertMany(ctx, []any{bson.M{"_id": 2}, bson.M{"_id": 3}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err = coll.FindOne(ctx, bson.M{"_id": i}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err = coll.UpdateOne(ctx, bson.M{"_id": 1}, bson.M{"$set": bson.M{"title": "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err = c.Database("other").Collection("orders").InsertOne(ctx, bson.M{"_id": 1}); err != nil {
		t.Fatal(err)
	}

	after := getStats(t, url)
	t.Logf("stats: %+v", after.Databases)
	want := map[string]int64{"insert": 2, "find": 3, "update": 1}
	for cmd, n := range want {
		if got := after.Databases["shop"][cmd] - before.Databases["shop"][cmd]; got != n {
			t.Errorf("database shop, %s: %d, want %d", cmd, got, n)
		}
		if got := after.Collections["shop.tickets"][cmd] - before.Collections["shop.tickets"][cmd]; got != n {
			t.Errorf("collection shop.tickets, %s: %d, want %d", cmd, got, n)
		}
	}
	if got := after.Databases["other"]["insert"]; got != 1 {
		t.Errorf("database other, insert: %d, want 1", got)
	}
	if got := after.CollectionsHeldMs["shop.tickets"]["find"]; got <= 0 {
		t.Errorf("collectionsHeldMs shop.tickets find: %v, want > 0", got)
	}
	if after.Requests <= before.Requests || after.HeldMs <= 0 {
		t.Errorf("requests %d -> %d, heldMs %v: want both to grow", before.Requests, after.Requests, after.HeldMs)
	}

	// A cursor's getMore is counted under the collection it reads.
	cur, err := coll.Find(ctx, bson.M{}, optsBatch(1))
	if err != nil {
		t.Fatal(err)
	}
	var all []bson.M
	if err = cur.All(ctx, &all); err != nil {
		t.Fatal(err)
	}
	final := getStats(t, url)
	if got := final.Collections["shop.tickets"]["getMore"]; got < 2 {
		t.Errorf("collection shop.tickets, getMore: %d, want ≥ 2 (3 documents, batches of 1)", got)
	}

	for path, status := range map[string]int{"/": 404, "/stats/x": 404} {
		res, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, status)
		}
	}
	res, err := http.Post(url, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /stats: %d, want 405", res.StatusCode)
	}
}

// TestDescribeUnreadable checks that a message the parser cannot read is still named.
func TestDescribeUnreadable(t *testing.T) {
	msg := make([]byte, headerLen+5)
	msg[12] = 0xd4 // 2004 = OP_QUERY, little-endian
	msg[13] = 0x07
	db, cmd, coll := describe(msg)
	if db != "" || cmd != "op:2004" || coll != "" {
		t.Fatalf("describe = %q %q %q, want \"\" \"op:2004\" \"\"", db, cmd, coll)
	}
}

func optsBatch(n int32) *options.FindOptions { return options.Find().SetBatchSize(n) }
