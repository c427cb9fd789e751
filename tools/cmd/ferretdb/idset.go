package main

// The gate's `_id: {$in: [...]}` lookup.
//
// A find whose filter is exactly {_id: {$in: [a, b, …]}} is, on MongoDB, one
// command served by the _id index (a point lookup per value). FerretDB's
// SQLite backend pushes down only {_id: X} (backends/sqlite/collection.go:
// a filter of one key, _id, a string or ObjectId): for $in it reads and
// decodes the whole collection and filters it in memory — measured 1.1 s for
// 5 ids among 20,000 orders, holding the gate, so a buyer's order list (its
// ids read from one index document, then the orders) would scan every order.
// One find per id instead costs the client a round trip per order.
//
// So the gate (under its mutex, like every request) serves such a find itself:
// it asks FerretDB for each document by _id ({_id: X}, pushed down) on the
// client's backend connection, and answers the client with one cursor reply
// holding the documents found, in ascending _id order (what MongoDB's _id
// index scan returns), cursor id 0.
//
// Only the plain case is served: a find with filter {_id: {$in: [...]}} and
// nothing else but the generic fields and an optional singleBatch; 1 to
// maxIDSet values, all strings or all ObjectIds. A projection, sort, skip,
// limit, batchSize, hint, collation or any other field, other value types,
// other flags, or a reply the gate cannot read: the request passes through to
// FerretDB unchanged (which answers it correctly, by a scan).

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sort"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// maxIDSet bounds the ids one find may ask for through this path.
const maxIDSet = 1000

// idSetCount counts the finds served here (for tests).
var idSetCount atomic.Int64

var idSetFindFields = fields("find", "filter", "singleBatch")

// idSetPlan is a find the gate can serve by _id lookups.
type idSetPlan struct {
	db, coll  string
	requestID int32
	ids       []bsoncore.Value // deduplicated, ascending
}

// planIDSet returns how to serve req, or nil to pass it through.
func planIDSet(req []byte) *idSetPlan {
	m, ok := parseOpMsg(req)
	if !ok || m.flags != 0 || len(m.seqs) != 0 {
		return nil
	}
	first, err := m.body.IndexErr(0)
	if err != nil || first.Key() != "find" {
		return nil
	}
	coll, ok := first.Value().StringValueOK()
	if !ok || coll == "" {
		return nil
	}
	db, ok := m.body.Lookup("$db").StringValueOK()
	if !ok || db == "" || !onlyFields(m.body, idSetFindFields) {
		return nil
	}
	filter, ok := m.body.Lookup("filter").DocumentOK()
	if !ok {
		return nil
	}
	idCond, ok := soleField(filter, "_id")
	if !ok {
		return nil
	}
	ops, ok := idCond.DocumentOK()
	if !ok {
		return nil
	}
	in, ok := soleField(ops, "$in")
	if !ok {
		return nil
	}
	arr, ok := in.ArrayOK()
	if !ok {
		return nil
	}
	vals, err := arr.Values()
	if err != nil || len(vals) == 0 || len(vals) > maxIDSet {
		return nil
	}
	kind := vals[0].Type
	if kind != bsontype.String && kind != bsontype.ObjectID {
		return nil
	}
	for _, v := range vals {
		if v.Type != kind {
			return nil
		}
	}
	// Ascending _id order: ObjectIds compare as their 12 bytes, strings as
	// their bytes (MongoDB's default, simple collation).
	key := func(v bsoncore.Value) []byte {
		if kind == bsontype.String {
			return []byte(v.StringValue())
		}
		oid := v.ObjectID()
		return oid[:]
	}
	sort.SliceStable(vals, func(i, j int) bool { return bytes.Compare(key(vals[i]), key(vals[j])) < 0 })
	ids := make([]bsoncore.Value, 0, len(vals))
	for i, v := range vals {
		if i > 0 && bytes.Equal(key(v), key(vals[i-1])) {
			continue
		}
		ids = append(ids, v)
	}
	return &idSetPlan{db: db, coll: coll, requestID: m.requestID, ids: ids}
}

// soleField returns the value of doc's only field when that field is key.
func soleField(doc bsoncore.Document, key string) (bsoncore.Value, bool) {
	elems, err := doc.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != key {
		return bsoncore.Value{}, false
	}
	return elems[0].Value(), true
}

// serveIDSet answers req itself when it is a find planIDSet serves: the reply
// and true. False (and a nil error) means pass it through. It must be called
// with g.mu held, on the client's backend connection. An error means the
// backend connection failed.
func (g *gate) serveIDSet(backend net.Conn, fromBackend *bufio.Reader, req []byte) ([]byte, bool, error) {
	if pushdownOff.Load() {
		return nil, false, nil
	}
	p := planIDSet(req)
	if p == nil {
		return nil, false, nil
	}
	docs := make([]bsoncore.Document, 0, len(p.ids))
	for _, id := range p.ids {
		doc, found, err := fetchByID(backend, fromBackend, p.db, p.coll, id)
		if err != nil {
			var unusable *unusableReplyError
			if errors.As(err, &unusable) {
				g.logger.Debug("gate $in: passing through", "reason", err)
				return nil, false, nil
			}
			return nil, false, err
		}
		if found {
			docs = append(docs, doc)
		}
	}
	idSetCount.Add(1)
	return cursorReply(p.requestID, p.db+"."+p.coll, docs), true, nil
}

// cursorReply is the OP_MSG answering request requestID with an exhausted
// cursor whose first batch is docs: {cursor: {firstBatch, id: 0, ns}, ok: 1}.
func cursorReply(requestID int32, ns string, docs []bsoncore.Document) []byte {
	batch := make([]bsoncore.Value, len(docs))
	for i, d := range docs {
		batch[i] = docValue(d)
	}
	cursor := bsoncore.BuildDocument(nil,
		bsoncore.AppendArrayElement(nil, "firstBatch", bsoncore.BuildArray(nil, batch...)),
		bsoncore.AppendInt64Element(nil, "id", 0),
		bsoncore.AppendStringElement(nil, "ns", ns),
	)
	body := bsoncore.BuildDocument(nil,
		bsoncore.AppendDocumentElement(nil, "cursor", cursor),
		bsoncore.AppendDoubleElement(nil, "ok", 1),
	)
	reply := &opMsgParts{requestID: pushdownRequestID.Add(1) & 0x3fffffff, responseTo: requestID}
	return reply.build(body, nil)
}
