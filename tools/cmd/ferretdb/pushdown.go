package main

// The gate's `_id` pushdown.
//
// FerretDB's SQLite backend pushes a filter down to SQLite only when it is
// exactly {_id: <string|ObjectId>}; any other filter, including the
// compare-and-set filters our services use ({_id: X, version: 3}), reads and
// decodes the whole collection and filters it in memory (~1 s for 20,000
// documents, while holding the gate). On MongoDB these are _id index lookups.
//
// So, for a find, findAndModify, update, delete or count whose filter has a
// top-level {_id: <string|ObjectId>} equality plus conditions the matcher
// below fully understands, the gate (still under its mutex, so the whole thing
// stays atomic) first asks FerretDB for that one document by _id, evaluates
// the rest of the filter against it, and then forwards the client's command
// with only its filter replaced:
//
//   - the document exists and matches: filter {_id: X};
//   - no document with that _id: filter {_id: X} (matches nothing, as the
//     original would);
//   - the document exists and does not match: filter {_id: <nomatchID>}, an
//     _id no document has.
//
// Both are single-_id filters that FerretDB pushes down to SQLite. Forwarding
// (rather than answering "matched nothing" ourselves) leaves every reply,
// error and side effect to FerretDB: validation of the update/projection/
// sort, the collection an update creates, the reply's exact shape, and the
// requestID/responseTo, which stay the client's own.
//
// Everything else passes through untouched: other operators, $or/$and/$expr,
// collation, hint, let, upsert: true, multi-statement update/delete batches,
// OP_MSG flags (checksum, moreToCome, exhaustAllowed), an _id that is not a
// string or ObjectId, a field whose stored value the matcher cannot compare
// (embedded documents, nested arrays, decimals, …), and any reply it cannot
// read. See tools/README.md.

import (
	"bufio"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"sync/atomic"

	"go.mongodb.org/mongo-driver/bson/bsontype"
	"go.mongodb.org/mongo-driver/x/bsonx/bsoncore"
)

// pushdownOff turns the rewrite and the SQLite _id index (idindex.go) off for the whole process
// (FERRETDB_PUSHDOWN=off): an escape hatch, and the "without" of the measurement.
var pushdownOff = func() *atomic.Bool {
	var b atomic.Bool
	b.Store(os.Getenv("FERRETDB_PUSHDOWN") == "off")
	return &b
}()

// backendIDPushdown is "any" in the binary tools/build.sh builds: its FerretDB
// reads one row for any filter with a top-level _id equality, other conditions
// or not (tools/patches/ferretdb/internal/backends/sqlite/collection.go), so the
// gate forwards such a request as it is, without fetching the document first.
// Plain `go build` and `go test` use upstream FerretDB, and keep the rewrite.
var backendIDPushdown = ""

// pushdownCounts counts the rewritten requests by outcome (for tests and
// debug logs): the document matched, did not match, or did not exist.
var pushdownCounts struct{ matched, nomatch, absent atomic.Int64 }

// nomatchID is an _id no document has: a filter {_id: nomatchID} is pushed
// down and matches nothing. Random per process, so no client can know it.
var nomatchID = func() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "\x00ferretdb-gate-nomatch-" + hex.EncodeToString(b)
}()

// pushdownRequestID numbers the gate's own requests to FerretDB.
var pushdownRequestID atomic.Int32

// pushdown returns the request to forward for req: req itself, or req with
// its filter replaced as described above. It must be called with g.mu held,
// on the client's backend connection, before req is sent. An error means the
// backend connection failed (it is then out of step and must be dropped).
func (g *gate) pushdown(backend net.Conn, fromBackend *bufio.Reader, req []byte) ([]byte, error) {
	if pushdownOff.Load() {
		return req, nil
	}
	g.idIndex.observe(req) // so that FerretDB's own {_id: X} pushdown uses an index
	if backendIDPushdown == "any" {
		return req, nil
	}
	p := planPushdown(req)
	if p == nil {
		return req, nil
	}

	doc, found, err := fetchByID(backend, fromBackend, p.db, p.coll, p.id)
	if err != nil {
		var unusable *unusableReplyError
		if errors.As(err, &unusable) {
			g.logger.Debug("gate pushdown: passing through", "reason", err)
			return req, nil
		}
		return nil, err
	}

	byID := bsoncore.BuildDocument(nil, bsoncore.AppendValueElement(nil, "_id", p.id))
	if !found {
		pushdownCounts.absent.Add(1)
		return p.rebuild(byID), nil
	}
	matched, known := matchFilter(p.filter, doc)
	switch {
	case !known:
		return req, nil // e.g. the stored field is an embedded document
	case matched:
		pushdownCounts.matched.Add(1)
		return p.rebuild(byID), nil
	}
	pushdownCounts.nomatch.Add(1)
	return p.rebuild(bsoncore.BuildDocument(nil, bsoncore.AppendStringElement(nil, "_id", nomatchID))), nil
}

// pushdownPlan is a request the pushdown can serve.
type pushdownPlan struct {
	db, coll string
	id       bsoncore.Value    // the filter's _id (string or ObjectId)
	filter   bsoncore.Document // the whole filter, _id included
	rebuild  func(filter bsoncore.Document) []byte
}

// Fields a command may carry for the pushdown to apply, besides its filter.
// Anything else (hint, collation, let, min/max, tailable, …) means pass through.
var (
	genericFields = fields("$db", "lsid", "txnNumber", "$clusterTime", "$readPreference",
		"readConcern", "writeConcern", "maxTimeMS", "comment", "apiVersion", "apiStrict", "apiDeprecationErrors")
	findFields  = fields("find", "filter", "sort", "projection", "skip", "limit", "batchSize", "singleBatch")
	countFields = fields("count", "query", "skip", "limit")
	famFields   = fields("findAndModify", "findandmodify", "query", "sort", "remove", "update", "new",
		"fields", "upsert", "arrayFilters", "bypassDocumentValidation")
	updateFields    = fields("update", "updates", "ordered", "bypassDocumentValidation")
	updateStmtField = fields("q", "u", "upsert", "multi", "arrayFilters")
	deleteFields    = fields("delete", "deletes", "ordered")
	deleteStmtField = fields("q", "limit")
)

func fields(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// planPushdown returns how to serve req, or nil to pass it through.
func planPushdown(req []byte) *pushdownPlan {
	m, ok := parseOpMsg(req)
	if !ok || m.flags != 0 {
		return nil // checksum, moreToCome or exhaustAllowed: leave them alone
	}
	first, err := m.body.IndexErr(0)
	if err != nil {
		return nil
	}
	cmd := first.Key()
	coll, ok := first.Value().StringValueOK()
	if !ok || coll == "" {
		return nil
	}
	db, ok := m.body.Lookup("$db").StringValueOK()
	if !ok || db == "" {
		return nil
	}

	var (
		allowed  map[string]bool
		filterAt string // the body field holding the filter
		stmtsAt  string // update/delete: the statements' field (body array or sequence)
		stmtOK   map[string]bool
	)
	switch cmd {
	case "find":
		allowed, filterAt = findFields, "filter"
	case "count":
		allowed, filterAt = countFields, "query"
	case "findAndModify", "findandmodify":
		allowed, filterAt = famFields, "query"
	case "update":
		allowed, stmtsAt, stmtOK = updateFields, "updates", updateStmtField
	case "delete":
		allowed, stmtsAt, stmtOK = deleteFields, "deletes", deleteStmtField
	default:
		return nil
	}
	if !onlyFields(m.body, allowed) || len(m.seqs) > 1 {
		return nil
	}
	if upsert, ok := m.body.Lookup("upsert").BooleanOK(); ok && upsert {
		return nil
	}

	p := &pushdownPlan{db: db, coll: coll}

	if stmtsAt == "" {
		if len(m.seqs) != 0 {
			return nil
		}
		filter, ok := m.body.Lookup(filterAt).DocumentOK()
		if !ok {
			return nil
		}
		p.filter = filter
		p.rebuild = func(f bsoncore.Document) []byte {
			return m.build(replaceField(m.body, filterAt, docValue(f)), nil)
		}
	} else {
		// One statement, either in the body's array or in a kind-1 sequence
		// (the Go driver sends one; the Node driver 6.x puts it in the body).
		var stmt bsoncore.Document
		inBody := m.body.Lookup(stmtsAt)
		switch {
		case inBody.Type != 0 && len(m.seqs) == 0:
			arr, ok := inBody.ArrayOK()
			if !ok {
				return nil
			}
			vals, err := arr.Values()
			if err != nil || len(vals) != 1 {
				return nil
			}
			if stmt, ok = vals[0].DocumentOK(); !ok {
				return nil
			}
		case inBody.Type == 0 && len(m.seqs) == 1 && m.seqs[0].id == stmtsAt && len(m.seqs[0].docs) == 1:
			stmt = m.seqs[0].docs[0]
		default:
			return nil
		}
		if !onlyFields(stmt, stmtOK) {
			return nil
		}
		if upsert, ok := stmt.Lookup("upsert").BooleanOK(); ok && upsert {
			return nil
		}
		filter, ok := stmt.Lookup("q").DocumentOK()
		if !ok {
			return nil
		}
		p.filter = filter
		p.rebuild = func(f bsoncore.Document) []byte {
			newStmt := replaceField(stmt, "q", docValue(f))
			if len(m.seqs) == 1 {
				return m.build(m.body, []bsoncore.Document{newStmt})
			}
			arr := bsoncore.BuildArray(nil, docValue(newStmt))
			return m.build(replaceField(m.body, stmtsAt, bsoncore.Value{Type: bsontype.Array, Data: arr}), nil)
		}
	}

	id, ok := pushdownID(p.filter)
	if !ok {
		return nil
	}
	p.id = id
	return p
}

// pushdownID returns the filter's top-level _id when it is a string or
// ObjectId and the filter has other conditions, all of which the matcher
// understands; ok is false otherwise. (A filter that is only {_id: X} is
// pushed down by FerretDB itself.)
func pushdownID(filter bsoncore.Document) (bsoncore.Value, bool) {
	elems, err := filter.Elements()
	if err != nil || len(elems) < 2 {
		return bsoncore.Value{}, false
	}
	var id bsoncore.Value
	seen := map[string]bool{}
	for _, e := range elems {
		key := e.Key()
		if seen[key] {
			return bsoncore.Value{}, false
		}
		seen[key] = true
		if key == "_id" {
			id = e.Value()
			if id.Type != bsontype.String && id.Type != bsontype.ObjectID {
				return bsoncore.Value{}, false
			}
			continue
		}
		if !supportedCondition(key, e.Value()) {
			return bsoncore.Value{}, false
		}
	}
	return id, id.Type != 0
}

// --- The matcher.
//
// It understands, per top-level key (a field name or a dotted path through
// embedded documents): equality with a scalar (string, number, bool, null,
// ObjectId, date), and an operator document of $eq, $ne, $in (an array of such
// scalars), $exists (bool), and $gt/$gte/$lt/$lte (a number, date or string).
// supportedCondition checks the filter alone, before the document is fetched;
// matchFilter then evaluates it and may still give up (known = false) on a
// stored value it cannot compare the way MongoDB does.

func supportedCondition(key string, v bsoncore.Value) bool {
	if key == "" || strings.HasPrefix(key, "$") {
		return false // $or, $and, $expr, $comment, …
	}
	for _, part := range strings.Split(key, ".") {
		if part == "" {
			return false
		}
	}
	if v.Type != bsontype.EmbeddedDocument {
		return isScalar(v)
	}
	ops, err := v.Document().Elements()
	if err != nil || len(ops) == 0 {
		return false // {} is equality with an empty document
	}
	for _, op := range ops {
		arg := op.Value()
		switch op.Key() {
		case "$eq", "$ne":
			if !isScalar(arg) {
				return false
			}
		case "$in":
			arr, ok := arg.ArrayOK()
			if !ok {
				return false
			}
			vals, err := arr.Values()
			if err != nil {
				return false
			}
			for _, x := range vals {
				if !isScalar(x) {
					return false
				}
			}
		case "$exists":
			if arg.Type != bsontype.Boolean {
				return false
			}
		case "$gt", "$gte", "$lt", "$lte":
			if !isOrdered(arg) {
				return false
			}
		default:
			return false // any other operator, or a document mixing operators and fields
		}
	}
	return true
}

// isScalar: the filter values equality is implemented for.
func isScalar(v bsoncore.Value) bool {
	switch v.Type {
	case bsontype.String, bsontype.Int32, bsontype.Int64, bsontype.Boolean, bsontype.Null,
		bsontype.ObjectID, bsontype.DateTime:
		return true
	case bsontype.Double:
		return !math.IsNaN(v.Double())
	}
	return false
}

// isOrdered: the operands $gt/$gte/$lt/$lte are implemented for.
func isOrdered(v bsoncore.Value) bool {
	switch v.Type {
	case bsontype.String, bsontype.Int32, bsontype.Int64, bsontype.DateTime:
		return true
	case bsontype.Double:
		return !math.IsNaN(v.Double())
	}
	return false
}

// matchFilter evaluates filter (minus its _id, which the document was fetched
// by) against doc. known is false when it cannot tell.
func matchFilter(filter, doc bsoncore.Document) (matched, known bool) {
	elems, err := filter.Elements()
	if err != nil {
		return false, false
	}
	matched = true
	for _, e := range elems {
		if e.Key() == "_id" {
			continue
		}
		m, ok := matchCondition(doc, e.Key(), e.Value())
		if !ok {
			return false, false
		}
		matched = matched && m // keep going: a later condition may still be unknown
	}
	return matched, true
}

// lookupPath returns the value at a dotted path, with Type 0 when it is
// missing; ok is false when the path crosses an array (MongoDB would look
// into its elements).
func lookupPath(doc bsoncore.Document, path string) (bsoncore.Value, bool) {
	parts := strings.Split(path, ".")
	cur := doc
	for i, part := range parts {
		v, err := cur.LookupErr(part)
		if err != nil {
			return bsoncore.Value{}, true // missing
		}
		if i == len(parts)-1 {
			return v, true
		}
		switch v.Type {
		case bsontype.EmbeddedDocument:
			cur = v.Document()
		case bsontype.Array:
			return bsoncore.Value{}, false
		default:
			return bsoncore.Value{}, true // a scalar has no fields: missing
		}
	}
	return bsoncore.Value{}, true
}

func matchCondition(doc bsoncore.Document, path string, cond bsoncore.Value) (bool, bool) {
	v, ok := lookupPath(doc, path)
	if !ok {
		return false, false
	}
	if cond.Type != bsontype.EmbeddedDocument {
		return matchEq(v, cond)
	}
	ops, err := cond.Document().Elements()
	if err != nil {
		return false, false
	}
	all := true
	for _, op := range ops {
		var m, ok bool
		arg := op.Value()
		switch op.Key() {
		case "$eq":
			m, ok = matchEq(v, arg)
		case "$ne":
			m, ok = matchEq(v, arg)
			m = !m
		case "$in":
			m, ok = matchIn(v, arg.Array())
		case "$exists":
			m, ok = (v.Type != 0) == arg.Boolean(), true
		case "$gt", "$gte", "$lt", "$lte":
			m, ok = matchRange(v, op.Key(), arg)
		}
		if !ok {
			return false, false
		}
		all = all && m
	}
	return all, true
}

func matchIn(v bsoncore.Value, arr bsoncore.Array) (bool, bool) {
	vals, err := arr.Values()
	if err != nil {
		return false, false
	}
	found := false
	for _, x := range vals {
		m, ok := matchEq(v, x)
		if !ok {
			return false, false
		}
		found = found || m
	}
	return found, true
}

// matchEq is MongoDB's equality of a stored value v (Type 0: missing) with a
// scalar filter value f. An array of scalars matches when one of its elements
// is equal; other arrays and embedded documents are unknown, except against
// null: {f: null} matches a missing or null value, or an array holding a null
// element, and never an embedded document (an order's `payment` subdocument,
// filtered on `payment: null` to find orders without one, is the case that
// matters: giving up there made FerretDB scan the whole collection).
func matchEq(v, f bsoncore.Value) (bool, bool) {
	if f.Type == bsontype.Null {
		switch v.Type {
		case 0, bsontype.Null:
			return true, true
		case bsontype.EmbeddedDocument:
			return false, true
		case bsontype.Array:
			vals, err := v.Array().Values()
			if err != nil {
				return false, false
			}
			for _, x := range vals {
				switch x.Type {
				case bsontype.Null:
					return true, true
				case bsontype.Undefined:
					return false, false
				}
			}
			return false, true
		case bsontype.Undefined:
			return false, false
		}
		return false, true
	}
	if v.Type == bsontype.Array {
		vals, err := v.Array().Values()
		if err != nil {
			return false, false
		}
		found := false
		for _, x := range vals {
			if x.Type == bsontype.Array || x.Type == bsontype.EmbeddedDocument {
				return false, false
			}
			m, ok := scalarEq(x, f)
			if !ok {
				return false, false
			}
			found = found || m
		}
		return found, true
	}
	return scalarEq(v, f)
}

// scalarEq compares a stored non-array value with a non-null scalar filter value.
func scalarEq(v, f bsoncore.Value) (bool, bool) {
	switch v.Type {
	case 0, bsontype.Null:
		return false, true
	case bsontype.String, bsontype.Boolean, bsontype.ObjectID, bsontype.DateTime,
		bsontype.Int32, bsontype.Int64, bsontype.Double,
		bsontype.Binary, bsontype.Timestamp, bsontype.Regex, bsontype.MinKey, bsontype.MaxKey:
		// compared below; the last ones can only differ from our scalars
	default:
		return false, false // documents, undefined, decimal128, symbol, code, …
	}
	if isNumber(f) {
		if !isNumber(v) {
			return false, true
		}
		c, ok := compareNumbers(v, f)
		return ok && c == 0, ok
	}
	if v.Type != f.Type {
		return false, true
	}
	switch f.Type {
	case bsontype.String:
		return v.StringValue() == f.StringValue(), true
	case bsontype.Boolean:
		return v.Boolean() == f.Boolean(), true
	case bsontype.ObjectID:
		return v.ObjectID() == f.ObjectID(), true
	case bsontype.DateTime:
		return v.DateTime() == f.DateTime(), true
	}
	return false, false
}

// matchRange: $gt/$gte/$lt/$lte with a number, date or string. A missing
// field never matches; a stored value of another kind, or an array, is unknown.
func matchRange(v bsoncore.Value, op string, f bsoncore.Value) (bool, bool) {
	if v.Type == 0 {
		return false, true
	}
	var c int
	switch {
	case isNumber(f) && isNumber(v):
		var ok bool
		if c, ok = compareNumbers(v, f); !ok {
			return false, false
		}
	case f.Type == bsontype.DateTime && v.Type == bsontype.DateTime:
		c = cmp64(v.DateTime(), f.DateTime())
	case f.Type == bsontype.String && v.Type == bsontype.String:
		c = strings.Compare(v.StringValue(), f.StringValue())
	default:
		return false, false
	}
	switch op {
	case "$gt":
		return c > 0, true
	case "$gte":
		return c >= 0, true
	case "$lt":
		return c < 0, true
	default: // $lte
		return c <= 0, true
	}
}

func isNumber(v bsoncore.Value) bool {
	return v.Type == bsontype.Int32 || v.Type == bsontype.Int64 || v.Type == bsontype.Double
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareNumbers compares two numbers exactly, as MongoDB does (an int64 and
// a double are not rounded to each other); ok is false for NaN.
func compareNumbers(a, b bsoncore.Value) (int, bool) {
	ai, aInt := a.AsInt64OK()
	bi, bInt := b.AsInt64OK()
	if a.Type == bsontype.Double {
		aInt = false
	}
	if b.Type == bsontype.Double {
		bInt = false
	}
	switch {
	case aInt && bInt:
		return cmp64(ai, bi), true
	case aInt:
		c, ok := cmpIntFloat(ai, b.Double())
		return c, ok
	case bInt:
		c, ok := cmpIntFloat(bi, a.Double())
		return -c, ok
	}
	x, y := a.Double(), b.Double()
	if math.IsNaN(x) || math.IsNaN(y) {
		return 0, false
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

func cmpIntFloat(i int64, f float64) (int, bool) {
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= 0x1p63:
		return -1, true
	case f < -0x1p63:
		return 1, true
	}
	t := math.Trunc(f)
	if c := cmp64(i, int64(t)); c != 0 {
		return c, true
	}
	switch {
	case f > t:
		return -1, true
	case f < t:
		return 1, true
	}
	return 0, true
}

// --- Fetching the document by _id.

// unusableReplyError: FerretDB answered the pushdown find, but not with a
// cursor we can read (e.g. an invalid namespace); the request passes through.
type unusableReplyError struct{ reason string }

func (e *unusableReplyError) Error() string { return "pushdown find: " + e.reason }

// fetchByID sends {find: coll, filter: {_id: id}, limit: 1, singleBatch: true}
// on the client's backend connection and returns the document, if any.
func fetchByID(backend net.Conn, fromBackend *bufio.Reader, db, coll string, id bsoncore.Value) (bsoncore.Document, bool, error) {
	body := bsoncore.BuildDocument(nil,
		bsoncore.AppendStringElement(nil, "find", coll),
		bsoncore.AppendDocumentElement(nil, "filter", bsoncore.BuildDocument(nil, bsoncore.AppendValueElement(nil, "_id", id))),
		bsoncore.AppendInt32Element(nil, "limit", 1),
		bsoncore.AppendInt32Element(nil, "batchSize", 1),
		bsoncore.AppendBooleanElement(nil, "singleBatch", true),
		bsoncore.AppendStringElement(nil, "$db", db),
	)
	reqID := pushdownRequestID.Add(1) & 0x3fffffff // positive, and unlike any driver's low numbers
	req := (&opMsgParts{requestID: reqID, body: body}).build(body, nil)
	if _, err := backend.Write(req); err != nil {
		return nil, false, err
	}
	reply, err := readMessage(fromBackend)
	if err != nil {
		return nil, false, err
	}
	if responseTo := int32(binary.LittleEndian.Uint32(reply[8:12])); responseTo != reqID {
		return nil, false, fmt.Errorf("pushdown reply responseTo %d does not match request %d", responseTo, reqID)
	}

	m, ok := parseOpMsg(reply)
	if !ok {
		return nil, false, &unusableReplyError{"not an OP_MSG"}
	}
	if okv, isNum := m.body.Lookup("ok").AsInt64OK(); !isNum || okv != 1 {
		if d, isD := m.body.Lookup("ok").DoubleOK(); !isD || d != 1 {
			return nil, false, &unusableReplyError{"not ok: " + m.body.String()}
		}
	}
	cursor, ok := m.body.Lookup("cursor").DocumentOK()
	if !ok {
		return nil, false, &unusableReplyError{"no cursor"}
	}
	if cid, _ := cursor.Lookup("id").AsInt64OK(); cid != 0 {
		// Not expected with singleBatch; the cursor would stay open on this connection.
		return nil, false, &unusableReplyError{"cursor left open"}
	}
	batch, ok := cursor.Lookup("firstBatch").ArrayOK()
	if !ok {
		return nil, false, &unusableReplyError{"no firstBatch"}
	}
	vals, err := batch.Values()
	if err != nil || len(vals) > 1 {
		return nil, false, &unusableReplyError{"bad firstBatch"}
	}
	if len(vals) == 0 {
		return nil, false, nil
	}
	doc, ok := vals[0].DocumentOK()
	if !ok {
		return nil, false, &unusableReplyError{"document expected"}
	}
	return doc, true, nil
}

// --- OP_MSG parsing and building.

// opMsgParts is an OP_MSG split into its header fields, flags, body (kind 0)
// and document sequences (kind 1).
type opMsgParts struct {
	requestID, responseTo int32
	flags                 uint32
	body                  bsoncore.Document
	seqs                  []docSequence
}

type docSequence struct {
	id   string
	docs []bsoncore.Document
}

// parseOpMsg splits msg; ok is false for anything else than a well-formed
// OP_MSG with exactly one body section and no checksum.
func parseOpMsg(msg []byte) (*opMsgParts, bool) {
	if len(msg) < headerLen+4 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return nil, false
	}
	m := &opMsgParts{
		requestID:  int32(binary.LittleEndian.Uint32(msg[4:8])),
		responseTo: int32(binary.LittleEndian.Uint32(msg[8:12])),
		flags:      binary.LittleEndian.Uint32(msg[16:20]),
	}
	if m.flags&flagChecksumFound != 0 {
		return nil, false
	}
	rest := msg[headerLen+4:]
	for len(rest) > 0 {
		kind := rest[0]
		rest = rest[1:]
		switch kind {
		case 0:
			doc, r, ok := bsoncore.ReadDocument(rest)
			if !ok || m.body != nil || doc.Validate() != nil {
				return nil, false
			}
			m.body, rest = doc, r
		case 1:
			if len(rest) < 4 {
				return nil, false
			}
			size := int(binary.LittleEndian.Uint32(rest[:4]))
			if size < 5 || size > len(rest) {
				return nil, false
			}
			id, docs, ok := cstring(rest[4:size])
			if !ok {
				return nil, false
			}
			seq := docSequence{id: id}
			for len(docs) > 0 {
				doc, r, ok := bsoncore.ReadDocument(docs)
				if !ok || doc.Validate() != nil {
					return nil, false
				}
				seq.docs = append(seq.docs, doc)
				docs = r
			}
			m.seqs = append(m.seqs, seq)
			rest = rest[size:]
		default:
			return nil, false
		}
	}
	return m, m.body != nil
}

// build returns the message with m's header and flags, the given body and,
// when seqDocs is not nil, m's single sequence with seqDocs as its documents
// (m's sequences unchanged otherwise).
func (m *opMsgParts) build(body bsoncore.Document, seqDocs []bsoncore.Document) []byte {
	out := make([]byte, headerLen, headerLen+4+1+len(body)+64)
	binary.LittleEndian.PutUint32(out[4:8], uint32(m.requestID))
	binary.LittleEndian.PutUint32(out[8:12], uint32(m.responseTo))
	binary.LittleEndian.PutUint32(out[12:16], opMsg)
	out = binary.LittleEndian.AppendUint32(out, m.flags)
	out = append(out, 0)
	out = append(out, body...)
	for _, s := range m.seqs {
		docs := s.docs
		if seqDocs != nil {
			docs = seqDocs
		}
		out = append(out, 1)
		start := len(out)
		out = append(out, 0, 0, 0, 0)
		out = append(out, s.id...)
		out = append(out, 0)
		for _, d := range docs {
			out = append(out, d...)
		}
		binary.LittleEndian.PutUint32(out[start:], uint32(len(out)-start))
	}
	binary.LittleEndian.PutUint32(out[0:4], uint32(len(out)))
	return out
}

// onlyFields reports whether every key of doc is in allowed or genericFields
// (and none repeats).
func onlyFields(doc bsoncore.Document, allowed map[string]bool) bool {
	elems, err := doc.Elements()
	if err != nil {
		return false
	}
	seen := make(map[string]bool, len(elems))
	for _, e := range elems {
		k := e.Key()
		if seen[k] || !(allowed[k] || genericFields[k]) {
			return false
		}
		seen[k] = true
	}
	return true
}

// replaceField returns doc with the value of key replaced (keys keep their order).
func replaceField(doc bsoncore.Document, key string, v bsoncore.Value) bsoncore.Document {
	elems, _ := doc.Elements() // validated by parseOpMsg
	raw := make([][]byte, len(elems))
	for i, e := range elems {
		if e.Key() == key {
			raw[i] = bsoncore.AppendValueElement(nil, key, v)
		} else {
			raw[i] = e
		}
	}
	return bsoncore.BuildDocument(nil, raw...)
}

func docValue(d bsoncore.Document) bsoncore.Value {
	return bsoncore.Value{Type: bsontype.EmbeddedDocument, Data: d}
}
