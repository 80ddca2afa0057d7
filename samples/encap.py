#!/usr/bin/env python3
"""A userspace tunnel endpoint, for the sample captures of tunnel types this kernel lacks.

samples/make-paths.sh runs one of these in each of two network namespaces it creates. Each
endpoint opens a TUN (inner IP packets) or TAP (inner Ethernet frames) device, and carries what
the kernel routes into it to the other endpoint inside a real outer header, sent through a raw
IP socket (GRE, IP-in-IP, IPv6-in-IPv4, IP in IPv6) or a UDP socket (GENEVE, GTP-U); what arrives from the
other endpoint is unwrapped and written into the device. tcpdump on the namespaces' veth then
records real encapsulated traffic: the inner TCP/TLS is real (openssl, curl), only the tunnel
headers are written here, as the RFCs lay them out:

  gre     RFC 2784/2890 GRE, key present (0x2000), protocol 0x0800/0x86dd, over IPv4 (TUN)
  gretap  GRE protocol 0x6558 (transparent Ethernet bridging) with a key (TAP)
  ipip    RFC 2003 IPv4 in IPv4, IP protocol 4 (TUN)
  sit     RFC 4213 IPv6 in IPv4, IP protocol 41 (TUN)
  geneve  RFC 8926 GENEVE over UDP 6081, protocol 0x6558, VNI 0x0a77 (TAP)
  gtpu    3GPP TS 29.281 GTP-U v1 G-PDU over UDP 2152, TEID 0x00a77001 (TUN)
  4in6    RFC 2473 IPv4 in IPv6, next header 4 (TUN)
  6in6    RFC 2473 IPv6 in IPv6, next header 41 (TUN)
  l2tp    RFC 2661 L2TPv2 data messages over UDP 1701 (length present, tunnel 0x0a77,
          session 0x0001), PPP address/control and protocol 0x0021/0x0057 (TUN)
  erspan2 ERSPAN type II (draft-foschiano-erspan): GRE with a sequence number (0x1000),
          protocol 0x88BE, the 8-byte header (version 1, session 0x077), Ethernet (TAP)
  erspan3 ERSPAN type III: GRE protocol 0x22EB, the 12-byte header (version 2, session 0x077,
          a timestamp, hardware id 7) without the platform subheader, Ethernet (TAP)
  mpls    RFC 3032 MPLS over Ethernet (ethertype 0x8847): two labels (0x0a77 outer, 0x00100
          bottom of stack, TTL 64) before the inner IPv4, sent on the outer link itself through
          a packet socket; LOCAL and REMOTE are then the outer interface and the peer's MAC (TUN)

TEST MATERIAL: used only between the two namespaces make-paths.sh creates (10.77.0.0/16,
fd77::/48); it never sends anywhere else. It runs until killed (by PID).

Usage: encap.py MODE DEVICE LOCAL REMOTE
"""
import fcntl
import os
import select
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000

GRE_KEY = 0x0A770001
GENEVE_VNI = 0x000A77
GTPU_TEID = 0x00A77001
L2TP_TUNNEL = 0x0A77
L2TP_SESSION = 0x0001
ERSPAN_SESSION = 0x077
MPLS_LABELS = (0x0A77, 0x00100)
ETH_P_MPLS_UC = 0x8847

# mode -> (device kind, how the outer layer is sent: an IP protocol number or a UDP port)
MODES = {
    "gre": ("tun", ("ip", 47)),
    "gretap": ("tap", ("ip", 47)),
    "ipip": ("tun", ("ip", 4)),
    "sit": ("tun", ("ip", 41)),
    "geneve": ("tap", ("udp", 6081)),
    "gtpu": ("tun", ("udp", 2152)),
    "l2tp": ("tun", ("udp", 1701)),
    "4in6": ("tun", ("ip6", 4)),
    "6in6": ("tun", ("ip6", 41)),
    "erspan2": ("tap", ("ip", 47)),
    "erspan3": ("tap", ("ip", 47)),
    "mpls": ("tun", ("link", ETH_P_MPLS_UC)),
}

# The GRE sequence number of the packets this endpoint sent (ERSPAN numbers its frames).
SEQUENCE = [0]


def next_sequence():
    SEQUENCE[0] = (SEQUENCE[0] + 1) & 0xFFFFFFFF
    return SEQUENCE[0]



def open_device(name, kind):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    flags = (IFF_TUN if kind == "tun" else IFF_TAP) | IFF_NO_PI
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), flags))
    return fd


def inner_ethertype(packet):
    return 0x86DD if packet and packet[0] >> 4 == 6 else 0x0800


def wrap(mode, inner):
    """The bytes that follow the outer IPv4 (or UDP) header."""
    if mode == "gre":
        return struct.pack("!HHI", 0x2000, inner_ethertype(inner), GRE_KEY) + inner
    if mode == "gretap":
        return struct.pack("!HHI", 0x2000, 0x6558, GRE_KEY) + inner
    if mode in ("ipip", "sit", "4in6", "6in6"):
        return inner
    if mode == "geneve":
        # version 0, no options, not OAM/critical; protocol type Ethernet; VNI; reserved.
        return struct.pack("!BBHI", 0, 0, 0x6558, GENEVE_VNI << 8) + inner
    if mode == "gtpu":
        # version 1, protocol type GTP, no optional fields; message type 255 (G-PDU).
        return struct.pack("!BBHI", 0x30, 0xFF, len(inner), GTPU_TEID) + inner
    if mode == "l2tp":
        # L bit and version 2, the message length, tunnel and session; PPP FF 03 and protocol.
        ppp = 0x0057 if inner_ethertype(inner) == 0x86DD else 0x0021
        header = struct.pack("!HHHHBBH", 0x4002, 12 + len(inner), L2TP_TUNNEL, L2TP_SESSION,
                             0xFF, 0x03, ppp)
        return header + inner
    if mode == "erspan2":
        # GRE: S bit, protocol 0x88BE, sequence. ERSPAN II: version 1 and VLAN 0; COS 0,
        # encapsulation 0 (untagged), T 0 and the session; reserved 0 and index 0.
        gre = struct.pack("!HHI", 0x1000, 0x88BE, next_sequence())
        return gre + struct.pack("!HHI", 1 << 12, ERSPAN_SESSION, 0) + inner
    if mode == "erspan3":
        # ERSPAN III: version 2 and VLAN 0; COS, BSO, T 0 and the session; a timestamp
        # (microseconds, as the granularity 00 below says); SGT 0, P 0, frame type 0
        # (Ethernet), hardware id 7, direction 0, granularity 0, no platform subheader.
        gre = struct.pack("!HHI", 0x1000, 0x22EB, next_sequence())
        stamp = int(time.monotonic() * 1_000_000) & 0xFFFFFFFF
        word3 = (7 << 4)
        return gre + struct.pack("!HHIHH", 2 << 12, ERSPAN_SESSION, stamp, 0, word3) + inner
    if mode == "mpls":
        top = (MPLS_LABELS[0] << 12) | 64
        bottom = (MPLS_LABELS[1] << 12) | 0x100 | 64
        return struct.pack("!II", top, bottom) + inner
    raise ValueError(mode)


def unwrap(mode, data):
    """The inner packet of what arrived, or None when it is not ours."""
    if mode in ("gre", "gretap"):
        if len(data) < 8:
            return None
        flags, proto, key = struct.unpack("!HHI", data[:8])
        if flags != 0x2000 or key != GRE_KEY:
            return None
        return data[8:]
    if mode in ("ipip", "sit", "4in6", "6in6"):
        return data
    if mode == "geneve":
        if len(data) < 8 or struct.unpack("!I", data[4:8])[0] >> 8 != GENEVE_VNI:
            return None
        return data[8 + 4 * (data[0] & 0x3F):]
    if mode == "gtpu":
        if len(data) < 8 or data[1] != 0xFF:
            return None
        return data[8:]
    if mode == "l2tp":
        if len(data) < 12 or struct.unpack("!H", data[:2])[0] != 0x4002:
            return None
        return data[12:]
    if mode in ("erspan2", "erspan3"):
        header = 8 if mode == "erspan2" else 12
        if len(data) < 8 + header or struct.unpack("!H", data[:2])[0] != 0x1000:
            return None
        if struct.unpack("!H", data[10:12])[0] & 0x03FF != ERSPAN_SESSION:
            return None
        return data[8 + header:]
    if mode == "mpls":
        # The two labels this endpoint's peer writes, then IPv4.
        if len(data) < 8 or struct.unpack("!I", data[4:8])[0] >> 12 != MPLS_LABELS[1]:
            return None
        return data[8:]
    raise ValueError(mode)


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in MODES:
        sys.exit(__doc__)
    mode, device, local, remote = sys.argv[1:]
    kind, (carrier, number) = MODES[mode]
    dev = open_device(device, kind)
    if carrier == "link":
        # MPLS sits below IP: whole Ethernet frames on the outer interface (LOCAL), to the
        # peer's MAC (REMOTE), only this ethertype received.
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(number))
        sock.bind((local, number))
        own = sock.getsockname()[4]
        peer_mac = bytes.fromhex(remote.replace(":", ""))
        ethernet = peer_mac + own + struct.pack("!H", number)
        dest = None
    elif carrier == "ip":
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, number)
        sock.bind((local, 0))
        dest = (remote, 0)
    elif carrier == "ip6":
        # A raw IPv6 socket writes the outer header itself and hands over only what follows.
        sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, number)
        sock.bind((local, 0))
        dest = (remote, 0)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((local, number))
        dest = (remote, number)
    print(f"encap.py: {mode} on {device}, {local} <-> {remote}", flush=True)
    while True:
        ready, _, _ = select.select([dev, sock], [], [])
        if dev in ready:
            inner = os.read(dev, 65535)
            if carrier == "link":
                sock.send(ethernet + wrap(mode, inner))
            else:
                sock.sendto(wrap(mode, inner), dest)
        if sock in ready:
            data, peer = sock.recvfrom(65535)
            if carrier == "link":
                # The packet socket hands over the frame's payload after the Ethernet header
                # only for SOCK_DGRAM; SOCK_RAW keeps it: drop it, and frames this endpoint sent.
                if peer[4] != peer_mac:
                    continue
                data = data[14:]
            elif peer[0] != remote:
                continue
            if carrier == "ip":
                # A raw IPv4 socket hands over the outer IPv4 header too.
                data = data[4 * (data[0] & 0x0F):]
            inner = unwrap(mode, data)
            if inner:
                try:
                    os.write(dev, inner)
                except OSError:
                    # The device is not up yet (or going down): the packet is dropped, as a
                    # kernel tunnel would drop it.
                    pass


if __name__ == "__main__":
    main()
