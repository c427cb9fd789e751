package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// The ferretdb binary that tools/build.sh builds is more than this package: its
// FerretDB has the files of tools/patches/ferretdb (one of them reads a single
// row for any filter with a top-level _id equality), and its gate forwards such
// filters as they are (backendIDPushdown). `go test` compiles neither, so these
// tests run that binary and want what the in-process gate on upstream FerretDB
// does, reply for reply and document for document.

// startBuiltBinary runs tools/bin/ferretdb on a new data directory and returns
// its URI; the test is skipped when the binary is not built.
func startBuiltBinary(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "..", "bin", "ferretdb"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s is not built (run tools/build.sh): %v", bin, err)
	}
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--log-level", "warn")
	return startAndWaitReady(t, cmd, func() { _ = cmd.Process.Signal(os.Interrupt) })
}

// casSeed is the same documents on both sides: string and ObjectId _ids, and
// the fields the services' compare-and-set filters test.
func casSeed(oid primitive.ObjectID) []any {
	return []any{
		bson.D{{Key: "_id", Value: "o1"}, {Key: "version", Value: int32(3)}, {Key: "status", Value: "created"}, {Key: "holder", Value: nil}, {Key: "tags", Value: bson.A{"a", "b"}}},
		bson.D{{Key: "_id", Value: oid}, {Key: "version", Value: int64(1)}, {Key: "status", Value: "complete"}, {Key: "holder", Value: "u1"}},
		bson.D{{Key: "_id", Value: "o3"}, {Key: "version", Value: 2.0}, {Key: "status", Value: "cancelled"}},
	}
}

// stateOf is every document of coll, in _id order, as extended JSON.
func stateOf(t *testing.T, coll *mongo.Collection) string {
	t.Helper()
	cur, err := coll.Find(context.Background(), bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		t.Fatal(err)
	}
	var all []bson.Raw
	if err = cur.All(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, d := range all {
		sb.WriteString(d.String() + "\n")
	}
	return sb.String()
}

func TestBuiltBinaryAnswersIDFiltersAsTheGateOnUpstream(t *testing.T) {
	built := connect(t, startBuiltBinary(t))
	reference := connect(t, startPushdownStack(t).gateURI)
	ctx := context.Background()
	oid := primitive.NewObjectID()
	ids := []any{"o1", oid, "o3", "nope"}
	m := func(k string, v any) bson.E { return bson.E{Key: k, Value: v} }
	op := func(o string, v any) bson.D { return bson.D{{Key: o, Value: v}} }
	conds := []bson.D{
		{}, {m("version", 3)}, {m("version", int64(3))}, {m("version", 1)}, {m("version", 2)}, {m("version", "3")},
		{m("status", "created")}, {m("status", op("$ne", "created"))}, {m("status", op("$in", bson.A{"created", "complete"}))},
		{m("holder", nil)}, {m("holder", op("$exists", false))}, {m("tags", "a")}, {m("version", op("$gte", 2))},
		{m("version", 3), m("status", "created")}, {m("$or", bson.A{bson.D{m("version", 1)}, bson.D{m("status", "cancelled")}})},
	}

	// Each kind of command, run once on a fresh copy of the seed on each side.
	type command struct {
		name string
		run  func(c *mongo.Collection, filter bson.D) string
	}
	show := func(v any, err error) string {
		if err != nil {
			return "error " + err.Error()
		}
		return fmt.Sprintf("%v", v)
	}
	commands := []command{
		{"find", func(c *mongo.Collection, f bson.D) string { return fmt.Sprint(findShown(t, c, f, "_id version")) }},
		{"count", func(c *mongo.Collection, f bson.D) string { return show(c.CountDocuments(ctx, f)) }},
		{"update", func(c *mongo.Collection, f bson.D) string {
			r, err := c.UpdateOne(ctx, f, bson.M{"$inc": bson.M{"version": 1}, "$set": bson.M{"status": "updated"}})
			if err != nil {
				return show(nil, err)
			}
			return fmt.Sprint(r.MatchedCount, r.ModifiedCount)
		}},
		{"findAndModify", func(c *mongo.Collection, f bson.D) string {
			var doc bson.M
			err := c.FindOneAndUpdate(ctx, f, bson.M{"$set": bson.M{"holder": "u9"}}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
			if errors.Is(err, mongo.ErrNoDocuments) {
				return "none"
			}
			return show(doc, err)
		}},
		{"delete", func(c *mongo.Collection, f bson.D) string {
			r, err := c.DeleteOne(ctx, f)
			if err != nil {
				return show(nil, err)
			}
			return fmt.Sprint(r.DeletedCount)
		}},
	}

	checked := 0
	for _, cmd := range commands {
		for _, id := range ids {
			for _, cond := range conds {
				filter := append(bson.D{{Key: "_id", Value: id}}, cond...)
				var got [2]string
				for i, c := range []*mongo.Client{built, reference} {
					coll := c.Database("bin").Collection("cas")
					if err := coll.Drop(ctx); err != nil {
						t.Fatal(err)
					}
					if _, err := coll.InsertMany(ctx, casSeed(oid)); err != nil {
						t.Fatal(err)
					}
					got[i] = cmd.run(coll, filter) + "\n" + stateOf(t, coll)
				}
				if got[0] != got[1] {
					t.Errorf("%s %v:\n built binary:\n%s\n in-process gate on upstream FerretDB:\n%s", cmd.name, filter, got[0], got[1])
				}
				checked++
			}
		}
	}
	t.Logf("%d commands alike on both", checked)
}

func TestBuiltBinaryHasOneWinnerPerCompareAndSet(t *testing.T) {
	c := connect(t, startBuiltBinary(t))
	ctx := context.Background()
	coll := c.Database("bin").Collection("race")
	others := make([]any, 2000)
	for i := range others {
		others[i] = bson.M{"_id": primitive.NewObjectID(), "version": 0, "status": "created"}
	}
	if _, err := coll.InsertMany(ctx, others); err != nil {
		t.Fatal(err)
	}
	id := primitive.NewObjectID()
	if _, err := coll.InsertOne(ctx, bson.M{"_id": id, "version": 0, "status": "created"}); err != nil {
		t.Fatal(err)
	}

	const n, rounds = 25, 5
	for round := range rounds {
		winners := casWinners(t, coll, n, bson.M{"_id": id, "version": round, "status": "created"},
			func(i int) bson.M { return bson.M{"$set": bson.M{"version": round + 1, "by": i}} })
		if winners != 1 {
			t.Fatalf("round %d: %d concurrent {_id, version} findOneAndUpdate had %d winners, want exactly 1", round, n, winners)
		}
	}
	var doc bson.M
	if err := coll.FindOne(ctx, bson.M{"_id": id}).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc["version"] != int32(rounds) {
		t.Errorf("version = %v after %d rounds, want %d", doc["version"], rounds, rounds)
	}
}
