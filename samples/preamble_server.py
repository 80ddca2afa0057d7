#!/usr/bin/env python3
"""Servers that speak a cleartext preamble before TLS, for samples/make-paths.sh.

Each serves one connection and exits. The TLS part uses the throw-away TEST certificate and key
make-paths.sh generates; after the handshake it answers one request line and closes.

  smtp         RFC 3207: 220 greeting, EHLO -> 250-STARTTLS, STARTTLS -> 220, then TLS
  imap         RFC 3501: * OK greeting, a CAPABILITY/STARTTLS exchange, then TLS
  postgres     PostgreSQL SSLRequest (8 bytes, code 80877103) -> 'S', then TLS
  connect      HTTP CONNECT proxy: CONNECT host:443 -> 200, then relays to the TLS server
  connect-407  HTTP CONNECT proxy that refuses: 407 Proxy Authentication Required

TEST MATERIAL: it listens only inside the namespace make-paths.sh creates, and a relaying proxy
connects only to the TLS server address it is given there.

Usage: preamble_server.py MODE LISTEN_ADDR PORT CERT KEY [UPSTREAM_ADDR UPSTREAM_PORT]
"""
import socket
import ssl
import struct
import sys
import threading

MODES = ("smtp", "imap", "postgres", "connect", "connect-407")


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed during the preamble")
        data += chunk
    return data


def serve_tls(conn, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls = ctx.wrap_socket(conn, server_side=True)
    try:
        tls.recv(4096)
        tls.sendall(b"250 OK test server\r\n")
        tls.unwrap()
    except (ssl.SSLError, OSError):
        pass
    finally:
        tls.close()


def smtp(conn):
    conn.sendall(b"220 mail.pcapscrub-test.example ESMTP test server\r\n")
    while True:
        line = read_line(conn).upper()
        if line.startswith(b"EHLO") or line.startswith(b"HELO"):
            conn.sendall(
                b"250-mail.pcapscrub-test.example greets you\r\n250-PIPELINING\r\n"
                b"250-SIZE 10240000\r\n250 STARTTLS\r\n")
        elif line.startswith(b"STARTTLS"):
            conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
            return True
        elif not line or line.startswith(b"QUIT"):
            return False
        else:
            conn.sendall(b"502 5.5.2 Command not recognized\r\n")


def imap(conn):
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] test server ready\r\n")
    while True:
        line = read_line(conn)
        if not line:
            return False
        tag, _, command = line.strip().partition(b" ")
        command = command.upper()
        if command.startswith(b"CAPABILITY"):
            conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK done\r\n")
        elif command.startswith(b"STARTTLS"):
            conn.sendall(tag + b" OK Begin TLS negotiation now\r\n")
            return True
        else:
            conn.sendall(tag + b" BAD command unknown\r\n")


def postgres(conn):
    length, code = struct.unpack("!II", read_exact(conn, 8))
    if length != 8 or code != 80877103:
        return False
    conn.sendall(b"S")
    return True


def proxy(conn, refuse, upstream):
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    if refuse or not request.upper().startswith(b"CONNECT "):
        conn.sendall(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n"
            b"Proxy-Authenticate: Basic realm=\"test proxy\"\r\nContent-Length: 0\r\n"
            b"Connection: close\r\n\r\n")
        return
    up = socket.create_connection(upstream, timeout=10)
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    back = threading.Thread(target=pump, args=(up, conn))
    back.start()
    pump(conn, up)
    back.join(timeout=10)
    up.close()


def main():
    if len(sys.argv) not in (6, 8) or sys.argv[1] not in MODES:
        sys.exit(__doc__)
    mode, addr, port, cert, key = sys.argv[1:6]
    upstream = (sys.argv[6], int(sys.argv[7])) if len(sys.argv) == 8 else None
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    server = socket.socket(family, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((addr, int(port)))
    server.listen(1)
    print(f"preamble_server.py: {mode} on {addr}:{port}", flush=True)
    conn, _ = server.accept()
    conn.settimeout(10)
    try:
        if mode in ("connect", "connect-407"):
            proxy(conn, mode == "connect-407", upstream)
        elif {"smtp": smtp, "imap": imap, "postgres": postgres}[mode](conn):
            serve_tls(conn, cert, key)
    finally:
        conn.close()
        server.close()


if __name__ == "__main__":
    main()
