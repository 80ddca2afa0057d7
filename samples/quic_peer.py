#!/usr/bin/env python3
"""A QUIC client or server (aioquic), for the sample captures of samples/make-udp.sh.

  server ADDR PORT CERT KEY            serves until killed: answers each stream with "ok"
  client ADDR PORT CAFILE KEYLOG       one stream ("hello"), then closes
  probe ADDR PORT                      one long-header packet of version 0x1a2a3a4a (padded
                                       to 1200 bytes, as an Initial must be); prints the
                                       versions of the server's Version Negotiation answer

The client verifies the server's certificate for api.pcapscrub-test.example against CAFILE
and writes its secrets to KEYLOG (NSS key log format: THROW-AWAY TEST MATERIAL). ALPN is h3.
Exit status of the client: 0 when the stream was answered, 1 when the handshake failed.

TEST MATERIAL: it runs only inside the namespaces make-udp.sh creates (10.77.30.0/24,
fd77:30::/64).
"""
import asyncio
import sys

from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import StreamDataReceived

HOST = "api.pcapscrub-test.example"
ALPN = ["h3"]


class Answer(QuicConnectionProtocol):
    def quic_event_received(self, event):
        if isinstance(event, StreamDataReceived) and event.end_stream:
            self._quic.send_stream_data(event.stream_id, b"ok", end_stream=True)
            self.transmit()


async def run_server(addr, port, cert, key):
    config = QuicConfiguration(is_client=False, alpn_protocols=ALPN)
    config.load_cert_chain(cert, key)
    await serve(addr, port, configuration=config, create_protocol=Answer)
    print(f"quic_peer.py: serving on {addr}:{port}", flush=True)
    await asyncio.Event().wait()


def probe(addr, port):
    """A first packet of a version the server does not speak (RFC 9000, section 6)."""
    import os
    import socket
    import struct

    dcid, scid = os.urandom(8), os.urandom(8)
    packet = bytes([0xC0]) + struct.pack("!I", 0x1A2A3A4A)
    packet += bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    # Laid out as an Initial (no token, a 2-byte length covering the rest), which is how a
    # server that does not know the version still reads the header.
    rest = 1200 - len(packet) - 3
    packet += b"\0" + struct.pack("!H", 0x4000 | rest) + os.urandom(rest)
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.sendto(packet, (addr, port))
        answer, _ = sock.recvfrom(2048)
    if answer[1:5] != b"\0\0\0\0":
        return 1
    offset = 5
    offset += 1 + answer[offset]
    offset += 1 + answer[offset]
    versions = [answer[i:i + 4].hex() for i in range(offset, len(answer) - 3, 4)]
    print("quic_peer.py: Version Negotiation offers", " ".join(versions), flush=True)
    return 0


async def run_client(addr, port, cafile, keylog):
    config = QuicConfiguration(is_client=True, alpn_protocols=ALPN, server_name=HOST)
    config.load_verify_locations(cafile)
    config.secrets_log_file = open(keylog, "a")
    config.secrets_log_file.write(
        "# TEST MATERIAL made by samples/make-udp.sh: throw-away secrets of this capture only\n")
    try:
        async with connect(addr, port, configuration=config, wait_connected=True) as client:
            reader, writer = await client.create_stream()
            writer.write(b"hello")
            writer.write_eof()
            answer = await asyncio.wait_for(reader.read(), timeout=5)
            return 0 if answer == b"ok" else 1
    except (ConnectionError, asyncio.TimeoutError):
        return 1
    finally:
        config.secrets_log_file.close()


def main():
    args = sys.argv[1:]
    if len(args) == 5 and args[0] == "server":
        asyncio.run(run_server(args[1], int(args[2]), args[3], args[4]))
    elif len(args) == 5 and args[0] == "client":
        sys.exit(asyncio.run(run_client(args[1], int(args[2]), args[3], args[4])))
    elif len(args) == 3 and args[0] == "probe":
        sys.exit(probe(args[1], int(args[2])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
