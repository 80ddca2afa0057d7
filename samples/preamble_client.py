#!/usr/bin/env python3
"""Clients that speak a cleartext preamble before TLS where no packaged client sends it, for
samples/make-paths.sh.

  postgres-gssenc  what libpq does with gssencmode=prefer and sslmode=require: a GSSENCRequest
                   (8 bytes, code 80877104); on 'N' (refused) an SSLRequest (code 80877103);
                   on 'S' a TLS handshake (python's ssl module, certificate verified against
                   CA_FILE, SNI HOST), one line sent, the answer read, close_notify.
                   (psql sends the GSSENCRequest only when a Kerberos credential cache exists,
                   which a namespace without a KDC cannot have.)

TEST MATERIAL: it connects only to the server address make-paths.sh gives it inside its
namespaces.

Usage: preamble_client.py MODE SERVER_ADDR PORT HOST CA_FILE
"""
import socket
import ssl
import struct
import sys

GSSENC_REQUEST = struct.pack("!II", 8, 80877104)
SSL_REQUEST = struct.pack("!II", 8, 80877103)


def answer(sock):
    byte = sock.recv(1)
    if len(byte) != 1:
        raise ConnectionError("the server closed during the preamble")
    return byte


def postgres_gssenc(sock, host, ca_file):
    sock.sendall(GSSENC_REQUEST)
    if answer(sock) != b"N":
        raise ConnectionError("the server did not refuse GSSAPI encryption")
    sock.sendall(SSL_REQUEST)
    if answer(sock) != b"S":
        raise ConnectionError("the server refused TLS")
    ctx = ssl.create_default_context(cafile=ca_file)
    with ctx.wrap_socket(sock, server_hostname=host) as tls:
        tls.sendall(b"X\r\n")
        tls.recv(4096)
        tls.unwrap()


def main():
    if len(sys.argv) != 6 or sys.argv[1] != "postgres-gssenc":
        sys.exit(__doc__)
    _, addr, port, host, ca_file = sys.argv[1:]
    with socket.create_connection((addr, int(port)), timeout=10) as sock:
        postgres_gssenc(sock, host, ca_file)
    print("preamble_client.py: postgres-gssenc done", flush=True)


if __name__ == "__main__":
    main()
