#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/<target>, not committed: they grow with every run) from
# what the repository already has, the sample captures (samples/*.pcap):
#   capture_reader, sanitize_pipeline   the capture files as they are (sanitize_pipeline
#                                       sanitizes input that starts with a capture magic as is);
#   wire_decode                         every frame, behind the selector byte of its link type;
#   tls_parse                           each TCP direction's payload stream, behind control
#                                       byte 0x00 (known start, chunks of 1) and 0x1a;
#   dtls_parse                          each UDP direction's datagrams of samples/udp, each
#                                       behind its 2-byte length;
#   keylog_parse                        the key logs of samples/keylogs (test material);
#   quic_initial                        control byte 0x08, the 8-byte DCID and the CRYPTO
#                                       frame of RFC 9001 A.2 (its client Initial's payload).
# The DTLS and QUIC captures of samples/udp seed capture_reader and sanitize_pipeline too.
# sanitize_pipeline's structured mode needs no seed: an empty scenario is a full TLS 1.2
# handshake.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in capture_reader sanitize_pipeline wire_decode tls_parse dtls_parse quic_initial keylog_parse; do
    mkdir -p "fuzz/corpus/$t"
done
cp samples/keylogs/*.keys fuzz/corpus/keylog_parse/
for f in samples/*.pcap samples/udp/*.pcap; do
    cp "$f" fuzz/corpus/capture_reader/
    cp "$f" fuzz/corpus/sanitize_pipeline/
done
python3 - <<'PY'
import glob, hashlib, os, struct

LINKS = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276]

def frames(path):
    d = open(path, 'rb').read()
    magic = d[:4]
    e = '<' if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    link = struct.unpack(e + 'I', d[20:24])[0] & 0x0FFFFFFF
    at = 24
    while at + 16 <= len(d):
        caplen = struct.unpack(e + 'I', d[at + 8:at + 12])[0]
        yield link, d[at + 16:at + 16 + caplen]
        at += 16 + caplen

def tcp(link, f):
    if link != 1 or len(f) < 14:
        return None
    et, at = struct.unpack('>H', f[12:14])[0], 14
    if et == 0x0800 and len(f) >= at + 20:
        ihl = (f[at] & 15) * 4
        total = struct.unpack('>H', f[at + 2:at + 4])[0]
        if f[at + 9] != 6:
            return None
        src, dst, t, end = f[at + 12:at + 16], f[at + 16:at + 20], at + ihl, at + total
    elif et == 0x86dd and len(f) >= at + 40:
        if f[at + 6] != 6:
            return None
        plen = struct.unpack('>H', f[at + 4:at + 6])[0]
        src, dst, t, end = f[at + 8:at + 24], f[at + 24:at + 40], at + 40, at + 40 + plen
    else:
        return None
    if len(f) < t + 20:
        return None
    sport, dport, seq = struct.unpack('>HHI', f[t:t + 8])
    off = (f[t + 12] >> 4) * 4
    return (src, sport, dst, dport), seq, f[t + off:min(end, len(f))]

def save(target, data):
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join('fuzz/corpus', target, name), 'wb') as out:
        out.write(data)

for path in sorted(glob.glob('samples/*.pcap')):
    streams = {}
    for link, f in frames(path):
        save('wire_decode', bytes([LINKS.index(link)]) + f)
        seg = tcp(link, f)
        if seg and seg[2]:
            key, seq, payload = seg
            s = streams.setdefault(key, {})
            s.setdefault(seq, payload)
    for key, segs in streams.items():
        data = b''.join(segs[k] for k in sorted(segs))[:60000]
        save('tls_parse', b'\x00' + data)
        save('tls_parse', b'\x1a' + data)

save('quic_initial', bytes([0x08]) + bytes.fromhex(
    '8394c8f03e515708'
    '060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868'
    '04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578'
    '616d706c652e636f6dff01000100000a00080006001d00170018001000070005'
    '04616c706e000500050100000000003300260024001d00209370b2c9caa47fba'
    'baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400'
    '0d0010000e0403050306030203080408050806002d00020101001c0002400100'
    '3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000'
    '75300901100f088394c8f03e51570806048000ffff'))

def udp(link, f):
    if link != 1 or len(f) < 14:
        return None
    et, at = struct.unpack('>H', f[12:14])[0], 14
    if et == 0x0800 and len(f) >= at + 20 and f[at + 9] == 17:
        src, t = f[at + 12:at + 16], at + (f[at] & 15) * 4
    elif et == 0x86dd and len(f) >= at + 40 and f[at + 6] == 17:
        src, t = f[at + 8:at + 24], at + 40
    else:
        return None
    return src, f[t + 8:]

for path in sorted(glob.glob('samples/udp/dtls*.pcap')):
    sides = {}
    for link, f in frames(path):
        d = udp(link, f)
        if d:
            sides.setdefault(d[0], []).append(d[1])
    for datagrams in sides.values():
        save('dtls_parse', b''.join(struct.pack('>H', len(d)) + d for d in datagrams))
PY
