#!/usr/bin/env python3
"""Servers that speak a cleartext preamble before TLS, for samples/make-paths.sh.

Each serves one connection and exits. The TLS part uses the throw-away TEST certificate and key
make-paths.sh generates; after the handshake it answers one request line and closes.

  smtp         RFC 3207: 220 greeting, EHLO -> 250-STARTTLS, STARTTLS -> 220, then TLS
  imap         RFC 3501: * OK greeting, a CAPABILITY/STARTTLS exchange, then TLS
  postgres     PostgreSQL SSLRequest (8 bytes, code 80877103) -> 'S', then TLS; a
               GSSENCRequest (code 80877104) first is refused with 'N', as a server without
               GSSAPI encryption does, and the SSLRequest may follow
  connect      HTTP CONNECT proxy: CONNECT host:443 -> 200, then relays to the TLS server
  connect-407  HTTP CONNECT proxy that refuses: 407 Proxy Authentication Required
  ftp          RFC 4217: 220 greeting, AUTH TLS -> 234, then TLS
  pop3         RFC 2595: +OK greeting, CAPA lists STLS, STLS -> +OK, then TLS
  ldap         RFC 4511: StartTLS ExtendedRequest -> ExtendedResponse success, then TLS
  socks5       RFC 1928 proxy: no authentication, CONNECT by host name -> succeeded, relays
  socks5-refused  the same proxy answering CONNECT with 2 (connection not allowed by ruleset)
  socks4a      SOCKS4a proxy: CONNECT with a host name -> 90 (granted), relays
  xmpp         RFC 6120: stream headers, features with <starttls/>, <starttls/> -> <proceed/>
  mysql        MySQL: HandshakeV10 greeting with CLIENT_SSL, the client's SSL request, TLS

TEST MATERIAL: it listens only inside the namespace make-paths.sh creates, and a relaying proxy
connects only to the TLS server address it is given there.

Usage: preamble_server.py MODE LISTEN_ADDR PORT CERT KEY [UPSTREAM_ADDR UPSTREAM_PORT]
"""
import socket
import ssl
import struct
import sys
import threading

MODES = ("smtp", "imap", "postgres", "connect", "connect-407", "ftp", "pop3", "ldap",
         "socks5", "socks5-refused", "socks4a", "xmpp", "mysql")


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
    if length == 8 and code == 80877104:
        conn.sendall(b"N")
        length, code = struct.unpack("!II", read_exact(conn, 8))
    if length != 8 or code != 80877103:
        return False
    conn.sendall(b"S")
    return True


def ftp(conn):
    conn.sendall(b"220-ftp.pcapscrub-test.example test server\r\n220 ready\r\n")
    while True:
        line = read_line(conn).upper()
        if line.startswith(b"AUTH TLS"):
            conn.sendall(b"234 AUTH TLS successful\r\n")
            return True
        if not line or line.startswith(b"QUIT"):
            return False
        conn.sendall(b"502 command not implemented\r\n")


def pop3(conn):
    conn.sendall(b"+OK pop.pcapscrub-test.example POP3 test server ready\r\n")
    while True:
        line = read_line(conn).strip().upper()
        if line == b"CAPA":
            conn.sendall(b"+OK Capability list follows\r\nTOP\r\nUIDL\r\nSTLS\r\n.\r\n")
        elif line == b"STLS":
            conn.sendall(b"+OK Begin TLS negotiation\r\n")
            return True
        elif not line or line == b"QUIT":
            return False
        else:
            conn.sendall(b"-ERR unknown command\r\n")


STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"


def ldap(conn):
    # SEQUENCE, short-form length (the StartTLS request is 31 bytes).
    head = read_exact(conn, 2)
    if head[0] != 0x30 or head[1] >= 0x80:
        return False
    body = read_exact(conn, head[1])
    if STARTTLS_OID not in body or body[0] != 0x02:
        return False
    message_id = body[2:2 + body[1]]
    # ExtendedResponse: resultCode success, empty matchedDN and diagnosticMessage, the OID.
    op = b"\x0a\x01\x00\x04\x00\x04\x00\x8a" + bytes([len(STARTTLS_OID)]) + STARTTLS_OID
    msg = b"\x02" + bytes([len(message_id)]) + message_id + b"\x78" + bytes([len(op)]) + op
    conn.sendall(b"\x30" + bytes([len(msg)]) + msg)
    return True


TLS_NS = b"urn:ietf:params:xml:ns:xmpp-tls"


def read_until(conn, marker):
    data = b""
    while marker not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def xmpp(conn):
    if read_until(conn, b">") is None:
        return False
    conn.sendall(
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        b"xmlns:stream='http://etherx.jabber.org/streams' id='c2s-5b2e9a' "
        b"from='xmpp.pcapscrub-test.example' version='1.0' xml:lang='en'>"
        b"<stream:features><starttls xmlns='" + TLS_NS + b"'><required/></starttls>"
        b"</stream:features>")
    if read_until(conn, b"/>") is None:
        return False
    conn.sendall(b"<proceed xmlns='" + TLS_NS + b"'/>")
    return True


def mysql(conn):
    caps = 0x0008_0000 | 0x8000 | 0x0800 | 0x0200 | 0x0001  # plugin auth, secure, SSL, 4.1
    payload = (b"\x0a" + b"8.0.99-pcapscrub-test\x00" + struct.pack("<I", 4711)
               + b"saltsalt" + b"\x00" + struct.pack("<H", caps & 0xffff)
               + b"\x21" + struct.pack("<H", 2) + struct.pack("<H", caps >> 16) + bytes([21])
               + bytes(10) + b"moresaltsalt\x00" + b"caching_sha2_password\x00")
    conn.sendall(struct.pack("<I", len(payload))[:3] + b"\x00" + payload)
    head = read_exact(conn, 4)
    length = head[0] | head[1] << 8 | head[2] << 16
    request = read_exact(conn, length)
    return length == 32 and struct.unpack("<I", request[:4])[0] & 0x0800 != 0


def relay(conn, upstream):
    up = socket.create_connection(upstream, timeout=10)

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


def socks5(conn, refuse, upstream):
    version, count = read_exact(conn, 2)
    methods = read_exact(conn, count)
    if version != 5 or 0 not in methods:
        conn.sendall(b"\x05\xff")
        return
    conn.sendall(b"\x05\x00")
    version, command, _, atyp = read_exact(conn, 4)
    if atyp == 3:
        read_exact(conn, read_exact(conn, 1)[0])
    else:
        read_exact(conn, 4 if atyp == 1 else 16)
    read_exact(conn, 2)
    # Whatever the client names, the relay goes to the one TLS server it was given.
    bound = socket.inet_aton(conn.getsockname()[0]) + struct.pack("!H", 1080)
    if refuse or version != 5 or command != 1:
        conn.sendall(b"\x05\x02\x00\x01" + bound)
        return
    conn.sendall(b"\x05\x00\x00\x01" + bound)
    relay(conn, upstream)


def socks4a(conn, upstream):
    version, command = read_exact(conn, 2)
    read_exact(conn, 6)
    for _ in range(2):  # the user id, then the host name, each ended by NUL
        while read_exact(conn, 1) != b"\x00":
            pass
    if version != 4 or command != 1:
        conn.sendall(b"\x00\x5b" + bytes(6))
        return
    conn.sendall(b"\x00\x5a" + bytes(6))
    relay(conn, upstream)


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
    conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    relay(conn, upstream)


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
        elif mode in ("socks5", "socks5-refused"):
            socks5(conn, mode == "socks5-refused", upstream)
        elif mode == "socks4a":
            socks4a(conn, upstream)
        elif {"smtp": smtp, "imap": imap, "postgres": postgres, "ftp": ftp, "pop3": pop3,
              "ldap": ldap, "xmpp": xmpp, "mysql": mysql}[mode](conn):
            serve_tls(conn, cert, key)
    finally:
        conn.close()
        server.close()


if __name__ == "__main__":
    main()
