// A scriptable SMSC for tests, built on the npm `smpp` package (not on our Python code).
//
//   node smsc.js --system-id ID --password PW [--port 0] [--delay-ms 20] [--record FILE]
//
// It listens on 127.0.0.1 (port 0: any free port) and prints one JSON line per event on stdout,
// the first {"event":"listening","port":N}. It accepts transceiver binds with the given
// credentials, answers submit_sm after the delay with generated message ids, answers
// enquire_link and unbind, and appends every submit_sm it accepted to the record file (one JSON
// line per part, written before the answer leaves). It reads commands, one JSON object a line,
// on stdin and acknowledges each with {"ack":OP,...} on stdout:
//   {"op":"delay","ms":20}                     answer time from now on
//   {"op":"throttle","count":N}                 answer the next N submit_sm with ESME_RTHROTTLED
//   {"op":"fail","status":S,"count":N}          answer the next N submit_sm with status S
//   {"op":"reject","number":"86138…","status":S} answer every submit_sm to that number with S
//   {"op":"silence","count":N}                  accept (and record) the next N, never answer
//   {"op":"receipts","stat":"DELIVRD"|null,"err":"000"}  a receipt for every accepted message
//   {"op":"receipt","id":"…","stat":"…","err":"000"}     one receipt now
//   {"op":"mo","from":"8613…","to":"10690…","text":"退订"}  a message from a phone; with
//       "parts":["…","…"] instead of "text", a long one in UCS-2 parts joined by "concat":
//       "udh" (8-bit reference, the default), "udh16" (16-bit) or "sar" (sar_* parameters),
//       reference "ref", sent last part first with "reverse":true
//   {"op":"ids","submit":"hex"|"decimal","receipt":"same"|"hex"|"decimal"}  how message ids
//       are written: in submit_sm_resp, and in receipts (id: and receipted_message_id)
//   {"op":"drop"}                               cut every connection (no unbind)
//   {"op":"stats"}                              counts: binds, accepted, enquire_links, the
//                                               most submit_sm ever waiting for an answer
'use strict';

const fs = require('fs');
const readline = require('readline');
const smpp = require('smpp');

function option(name, fallback) {
  const at = process.argv.indexOf('--' + name);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const systemId = option('system-id', 'reminder');
const password = option('password', 'secret');
const record = option('record', null);
const state = {
  delayMs: Number(option('delay-ms', '0')),
  throttle: 0,
  fail: [],
  reject: {},
  silence: 0,
  receiptStat: null,
  receiptErr: '000',
  submitIds: 'hex',
  receiptIds: 'same',
};
const counts = {
  binds: 0, accepted: 0, enquire_links: 0, receipts_sent: 0, mo_sent: 0, max_outstanding: 0,
};
let outstanding = 0; // submit_sm received and not answered yet
const sessions = new Set();
const pendingDeliveries = []; // receipts and MO waiting for a bound session
let nextId = 0x5f3a0000;

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function smppTime(date) {
  const two = (n) => String(n).padStart(2, '0');
  return two(date.getUTCFullYear() % 100) + two(date.getUTCMonth() + 1) + two(date.getUTCDate())
    + two(date.getUTCHours()) + two(date.getUTCMinutes());
}

function partOf(pdu) {
  const sm = pdu.short_message;
  let text = '';
  let udh = null;
  if (sm && typeof sm === 'object' && !Buffer.isBuffer(sm)) {
    text = Buffer.isBuffer(sm.message) ? sm.message.toString('latin1') : String(sm.message);
    for (const header of sm.udh || []) {
      if (header[0] === 0x00 && header[1] === 3) udh = [header[2], header[3], header[4]];
    }
  } else {
    text = Buffer.isBuffer(sm) ? sm.toString('latin1') : String(sm || '');
  }
  return { text, udh };
}

function deliver(session, fields) {
  if (session && !session.closed && session.bound) {
    session.deliver_sm(fields);
    return;
  }
  for (const other of sessions) {
    if (other.bound && !other.closed) {
      other.deliver_sm(fields);
      return;
    }
  }
  pendingDeliveries.push(fields);
}

// A message id as receipts write it: the same, or turned from the submit's form to another.
function receiptId(id) {
  const value = state.submitIds === 'hex' ? parseInt(id, 16) : parseInt(id, 10);
  if (state.receiptIds === 'decimal') return value.toString(10);
  if (state.receiptIds === 'hex') return value.toString(16).toUpperCase().padStart(8, '0');
  return id;
}

function moParts(request) {
  const parts = request.parts;
  const ref = request.ref ?? 7;
  const concat = request.concat || 'udh';
  const all = parts.map((text, i) => {
    const fields = { source_addr: request.from, source_addr_ton: request.ton ?? 1,
      destination_addr: request.to, esm_class: 0, data_coding: smpp.ENCODING.UCS2 };
    const seq = i + 1;
    if (concat === 'udh') {
      fields.short_message = { udh: Buffer.from([5, 0, 3, ref & 255, parts.length, seq]), message: text };
    } else if (concat === 'udh16') {
      fields.short_message = {
        udh: Buffer.from([6, 8, 4, (ref >> 8) & 255, ref & 255, parts.length, seq]), message: text,
      };
    } else {
      Object.assign(fields, { short_message: text, sar_msg_ref_num: ref,
        sar_total_segments: parts.length, sar_segment_seqnum: seq });
    }
    return fields;
  });
  return request.reverse ? all.reverse() : all;
}

function receiptFields(message, stat, err) {
  const now = smppTime(new Date());
  const id = receiptId(message.id);
  return {
    source_addr: message.to,
    destination_addr: message.from,
    esm_class: smpp.ESM_CLASS.MC_DELIVERY_RECEIPT,
    short_message: `id:${id} sub:001 dlvrd:${stat === 'DELIVRD' ? '001' : '000'} `
      + `submit date:${now} done date:${now} stat:${stat} err:${err} text:`,
    receipted_message_id: id,
  };
}

const accepted = new Map(); // id -> {id, to, from}

function answer(session, response) {
  outstanding -= 1;
  if (!session.closed) session.send(response);
}

function onSubmit(session, pdu) {
  outstanding += 1;
  counts.max_outstanding = Math.max(counts.max_outstanding, outstanding);
  const to = pdu.destination_addr;
  let status = 0;
  let silent = false;
  if (state.throttle > 0) {
    state.throttle -= 1;
    status = smpp.ESME_RTHROTTLED;
  } else if (state.reject[to] !== undefined) {
    status = state.reject[to];
  } else if (state.fail.length) {
    status = state.fail.shift();
  } else if (state.silence > 0) {
    state.silence -= 1;
    silent = true;
  }
  if (status !== 0) {
    setTimeout(() => answer(session, pdu.response({ command_status: status })), state.delayMs);
    return;
  }
  const number = nextId++;
  const id = state.submitIds === 'hex' ? number.toString(16) : String(number);
  const { text, udh } = partOf(pdu);
  const line = {
    id, to, from: pdu.source_addr, data_coding: pdu.data_coding, esm_class: pdu.esm_class,
    registered_delivery: pdu.registered_delivery, udh, text, silent,
  };
  if (record) fs.appendFileSync(record, JSON.stringify(line) + '\n');
  counts.accepted += 1;
  const message = { id, to, from: pdu.source_addr };
  accepted.set(id, message);
  if (silent) {
    outstanding -= 1;
    return;
  }
  setTimeout(() => {
    answer(session, pdu.response({ message_id: id }));
    if (session.closed) return;
    if (state.receiptStat && pdu.registered_delivery) {
      setTimeout(() => {
        counts.receipts_sent += 1;
        deliver(session, receiptFields(message, state.receiptStat, state.receiptErr));
      }, 5);
    }
  }, state.delayMs);
}

const server = smpp.createServer({}, (session) => {
  sessions.add(session);
  session.on('close', () => { session.closed = true; sessions.delete(session); });
  session.on('error', () => { session.closed = true; sessions.delete(session); });
  const refuse = (pdu, status) => {
    session.send(pdu.response({ command_status: status }));
    session.close();
  };
  for (const kind of ['bind_transmitter', 'bind_receiver']) {
    session.on(kind, (pdu) => refuse(pdu, smpp.ESME_RBINDFAIL));
  }
  session.on('bind_transceiver', (pdu) => {
    if (pdu.system_id !== systemId) return refuse(pdu, smpp.ESME_RINVSYSID);
    if (pdu.password !== password) return refuse(pdu, smpp.ESME_RINVPASWD);
    session.send(pdu.response({ system_id: 'smsc' }));
    session.bound = true;
    counts.binds += 1;
    emit({ event: 'bound', system_type: pdu.system_type });
    while (pendingDeliveries.length) session.deliver_sm(pendingDeliveries.shift());
  });
  session.on('submit_sm', (pdu) => onSubmit(session, pdu));
  session.on('enquire_link', (pdu) => {
    counts.enquire_links += 1;
    session.send(pdu.response());
  });
  session.on('unbind', (pdu) => {
    session.send(pdu.response());
    session.close();
  });
});

function command(request) {
  switch (request.op) {
    case 'delay': state.delayMs = request.ms; break;
    case 'throttle': state.throttle += request.count; break;
    case 'fail': for (let i = 0; i < (request.count || 1); i++) state.fail.push(request.status); break;
    case 'reject': state.reject[request.number] = request.status; break;
    case 'silence': state.silence += request.count; break;
    case 'receipts':
      state.receiptStat = request.stat;
      state.receiptErr = request.err || '000';
      break;
    case 'receipt': {
      const message = accepted.get(request.id) || { id: request.id, to: '', from: '' };
      counts.receipts_sent += 1;
      deliver(null, receiptFields(message, request.stat, request.err || '000'));
      break;
    }
    case 'mo':
      counts.mo_sent += 1;
      if (request.parts) {
        for (const fields of moParts(request)) deliver(null, fields);
        break;
      }
      deliver(null, { source_addr: request.from, source_addr_ton: request.ton ?? 1,
        destination_addr: request.to, short_message: request.text, esm_class: 0 });
      break;
    case 'ids':
      state.submitIds = request.submit || 'hex';
      state.receiptIds = request.receipt || 'same';
      break;
    case 'drop': for (const session of sessions) session.destroy(); break;
    case 'stats': return { ...counts, sessions: sessions.size };
    default: return { error: 'unknown op' };
  }
  return {};
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const request = JSON.parse(line);
  emit({ ack: request.op, ...command(request) });
}).on('close', () => process.exit(0));

server.listen(Number(option('port', '0')), '127.0.0.1', () => {
  emit({ event: 'listening', port: server.address().port });
});
