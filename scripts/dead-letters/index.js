'use strict';
// The dead-letter console: reads the `dead-letter` channel of NATS Streaming and
// republishes chosen events to their original subject with their original event id, so
// the idempotent listeners apply each one once (DESIGN.md §3).
//
//   npm run dead-letters -- list [--subject S]
//   npm run dead-letters -- show ID            (ID: the letter's sequence or the event id)
//   npm run dead-letters -- replay ID
//   npm run dead-letters -- replay --subject S
//
// Connection: NATS_URL, NATS_CLUSTER_ID, NATS_USER, NATS_PASSWORD of a user allowed to
// publish every subject (in infra/nats/permissions.json only the server's own `stan` user
// is: in a cluster, port-forward to nats and use its credential from the nats-credentials
// Secret), or, when NATS_URL is unset, the running local stack's .run/stack.json.
const fs = require('node:fs');
const path = require('node:path');
const { randomBytes } = require('node:crypto');
const nats = require('node-nats-streaming');

const DEAD_LETTER_SUBJECT = 'dead-letter';
const STACK_FILE = path.join(__dirname, '../../.run/stack.json');

function connectionFromEnv(env = process.env) {
  if (env.NATS_URL) {
    return { url: env.NATS_URL, clusterId: env.NATS_CLUSTER_ID ?? 'ticketing', user: env.NATS_USER, password: env.NATS_PASSWORD };
  }
  if (fs.existsSync(STACK_FILE)) {
    const s = JSON.parse(fs.readFileSync(STACK_FILE, 'utf8'));
    return { url: s.natsUrl, clusterId: s.clusterId, user: s.ops?.user, password: s.ops?.password };
  }
  throw new Error('no NATS_URL and no running stack (.run/stack.json): set NATS_URL, NATS_USER, NATS_PASSWORD');
}

function connect(conn) {
  return new Promise((resolve, reject) => {
    const sc = nats.connect(conn.clusterId, `dead-letters-${randomBytes(4).toString('hex')}`, {
      url: conn.url,
      connectTimeout: 5_000,
      ...(conn.user && { user: conn.user, pass: conn.password }),
    });
    sc.once('connect', () => resolve(sc));
    sc.once('error', (err) => {
      try {
        sc.close();
      } catch {
        /* not connected */
      }
      reject(err);
    });
  });
}

/**
 * Every letter stored in the channel, oldest first: a non-durable subscription from the
 * start, read until nothing more arrives for `quietMs`.
 */
function readLetters(sc, { quietMs = 400 } = {}) {
  return new Promise((resolve) => {
    const letters = [];
    const sub = sc.subscribe(DEAD_LETTER_SUBJECT, sc.subscriptionOptions().setDeliverAllAvailable().setMaxInFlight(1024));
    let timer;
    const done = () => {
      sub.unsubscribe();
      resolve(letters);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    sub.on('message', (msg) => {
      try {
        letters.push({ sequence: msg.getSequence(), ...JSON.parse(String(msg.getData())) });
      } catch {
        letters.push({ sequence: msg.getSequence(), error: 'unreadable letter', raw: String(msg.getData()) });
      }
      arm();
    });
    sub.on('ready', arm);
  });
}

/** A letter by sequence number or event id (the newest with that event id). */
function findLetter(letters, id) {
  const bySeq = /^\d+$/.test(id) ? letters.find((l) => l.sequence === Number(id)) : undefined;
  return bySeq ?? [...letters].reverse().find((l) => l.eventId === id);
}

function publish(sc, subject, payload) {
  return new Promise((resolve, reject) => sc.publish(subject, payload, (err) => (err ? reject(err) : resolve())));
}

/**
 * Republishes letters to their original subjects, each once even when it was
 * dead-lettered several times (by event id): the raw envelope as it was, so its event id
 * is kept and a listener that already applied it changes nothing.
 */
async function replay(sc, letters) {
  const seen = new Set();
  const replayed = [];
  for (const l of letters) {
    if (!l.subject || typeof l.raw !== 'string') continue;
    const key = l.eventId ?? `seq:${l.sequence}`;
    if (seen.has(key)) continue;
    seen.add(key);
    await publish(sc, l.subject, l.raw);
    replayed.push({ sequence: l.sequence, subject: l.subject, eventId: l.eventId });
  }
  return replayed;
}

function formatList(letters) {
  const rows = letters.map((l) => [
    String(l.sequence),
    l.subject ?? '?',
    l.eventId ?? '-',
    String(l.attempts ?? '-'),
    (l.deadLetteredAt ?? '').replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    String(l.error ?? '').slice(0, 60),
  ]);
  const head = ['seq', 'subject', 'event id', 'tries', 'dead-lettered at', 'error'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

async function run(argv, { conn = connectionFromEnv(), out = console.log } = {}) {
  const [command, ...rest] = argv;
  const subjectAt = rest.indexOf('--subject');
  const subject = subjectAt >= 0 ? rest[subjectAt + 1] : undefined;
  const id = rest.find((a, i) => !a.startsWith('--') && rest[i - 1] !== '--subject');
  if (!['list', 'show', 'replay'].includes(command) || (command === 'show' && !id) || (command === 'replay' && !id && !subject)) {
    throw new Error('usage: dead-letters list [--subject S] | show ID | replay ID | replay --subject S');
  }
  const sc = await connect(conn);
  try {
    const all = await readLetters(sc);
    const letters = subject ? all.filter((l) => l.subject === subject) : all;
    if (command === 'list') {
      out(letters.length ? formatList(letters) : 'no dead letters');
      return letters;
    }
    if (command === 'show') {
      const l = findLetter(all, id);
      if (!l) throw new Error(`no dead letter ${id}`);
      out(JSON.stringify({ ...l, envelope: safeJson(l.raw) }, null, 2));
      return l;
    }
    const chosen = id ? [findLetter(all, id)].filter(Boolean) : letters;
    if (!chosen.length) throw new Error(id ? `no dead letter ${id}` : `no dead letters of ${subject}`);
    const done = await replay(sc, chosen);
    for (const r of done) out(`replayed ${r.subject} ${r.eventId ?? ''} (letter ${r.sequence})`);
    return done;
  } finally {
    sc.close();
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

module.exports = { run, readLetters, replay, findLetter, connect, connectionFromEnv, DEAD_LETTER_SUBJECT };

if (require.main === module) {
  run(process.argv.slice(2)).then(
    () => process.exit(0),
    (err) => {
      console.error(`dead-letters: ${err.message}`);
      process.exit(err.message.startsWith('usage') ? 2 : 1);
    },
  );
}
