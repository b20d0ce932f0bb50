"""t/files/mkfiles.py - test containers made at test time, by our own code
or by the Debian tools (zip/tar through Python, 7z, gcab, xorriso).

TNEF, OLE2 (CFB) and RAR 4/5 (stored, no compression) are written from
their published format descriptions (MS-OXTNEF, MS-CFB, RARLAB's
technote), so no RAR software or licence is involved.  The one exception,
compressed RAR (no free RAR compressor exists): two small archives from
libarchive's test suite, kept unchanged in t/files/libarchive/ (BSD
licence; its README says where they come from), decoded by
libarchive_rar().  Every function returns bytes.
"""
import binascii
import email.message
import io
import os
import struct
import subprocess
import tempfile
import zipfile
import zlib

# A minimal PE: MZ header pointing at a PE signature (libmagic names it
# application/vnd.microsoft.portable-executable).
MZ = (b"MZ\x90\x00" + b"\x00" * 56 + b"\x80\x00\x00\x00" + b"\x00" * 64
      + b"PE\x00\x00\x4c\x01\x03\x00" + b"\x00" * 12 + b"\xe0\x00\x02\x01"
      + b"\x0b\x01" + b"\x00" * 400)


def zip_of(members, method=zipfile.ZIP_DEFLATED):
    """members: [(name, bytes)]"""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data,
                       compress_type=method)
    return b.getvalue()


def tool(args, files, out):
    """Run a Debian archiver in a scratch dir holding FILES ({name: bytes});
    return the bytes of OUT."""
    with tempfile.TemporaryDirectory() as d:
        for name, data in files.items():
            p = os.path.join(d, name)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        subprocess.run(args, cwd=d, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(os.path.join(d, out), "rb") as f:
            return f.read()


def sevenz(files, password=None, header_enc=False, dictionary=None):
    args = ["7z", "a", "-bd", "-y", "out.7z"]
    if dictionary:
        args[2:2] = ["-m0=lzma2", "-md=" + dictionary]
    if password:
        args.insert(2, "-p" + password)
        if header_enc:
            args.insert(2, "-mhe=on")
    return tool(args + sorted(files), files, "out.7z")


def zip_encrypted(files, aes=False):
    args = ["7z", "a", "-bd", "-y", "-tzip", "-pSecret"] + (["-mem=AES256"] if aes else [])
    return tool(args + ["out.zip"] + sorted(files), files, "out.zip")


def cab(files):
    return tool(["gcab", "-c", "out.cab"] + sorted(files), files, "out.cab")


def iso(files):
    return tool(["xorriso", "-as", "mkisofs", "-quiet", "-o", "out.iso", "-graft-points"]
                + ["%s=%s" % (n, n) for n in sorted(files)], files, "out.iso")


# --- TNEF (MS-OXTNEF) ---------------------------------------------------

def _tnef_attr(level, attr_id, data):
    return (struct.pack("<BII", level, attr_id, len(data)) + data
            + struct.pack("<H", sum(data) & 0xffff))


def _pad4(b):
    return b + b"\0" * (-len(b) % 4)


def mapi_props(props):
    """props: [(prop_type, prop_id, value bytes)], variable-length types."""
    out = struct.pack("<I", len(props))
    for ptype, pid, val in props:
        out += struct.pack("<HH", ptype, pid)
        if ptype in (0x001E, 0x001F, 0x0102, 0x000D):
            out += struct.pack("<II", 1, len(val)) + _pad4(val)
        else:
            out += _pad4(val)
    return out


def lzfu(rtf):
    """Compressed RTF (MS-OXRTFCP): literals and back references found by
    a plain search of the ring, then the end marker."""
    pre = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman "
           b"\\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New "
           b"RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0"
           b"\\fs20\\b\\i\\u\\tab\\tx")
    ring = bytearray(4096)
    ring[:len(pre)] = pre
    wpos = len(pre)
    out = bytearray()
    i = 0
    tokens = []
    while i < len(rtf):
        best, best_off = 0, 0
        for off in range(4096):
            n = 0
            while n < 17 and i + n < len(rtf) and off != wpos and \
                    ring[(off + n) % 4096] == rtf[i + n] and (off + n) % 4096 != wpos:
                n += 1
            if n > best:
                best, best_off = n, off
        if best >= 2:
            tokens.append((1, struct.pack(">H", best_off << 4 | (best - 2))))
            for k in range(best):
                ring[wpos] = rtf[i + k]
                wpos = (wpos + 1) % 4096
            i += best
        else:
            tokens.append((0, bytes([rtf[i]])))
            ring[wpos] = rtf[i]
            wpos = (wpos + 1) % 4096
            i += 1
    tokens.append((1, struct.pack(">H", wpos << 4)))
    for k in range(0, len(tokens), 8):
        group = tokens[k:k + 8]
        out.append(sum(bit << j for j, (bit, _) in enumerate(group)))
        for _, b in group:
            out += b
    body = bytes(out)
    return struct.pack("<III", len(body) + 12, len(rtf), 0x75465A4C) + \
        struct.pack("<I", binascii.crc32(body) & 0xffffffff) + body


def tnef(attachments=(), body=None, rtf=None, lie=None, html=None):
    """attachments: [(long name, data)]; body: attBody text; rtf: RTF
    bytes stored as PR_RTF_COMPRESSED; html: bytes stored as PR_BODY_HTML.
    lie: 'length' makes one attribute claim more bytes than the file has,
    'props' a lying property count."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += _tnef_attr(1, 0x00089006, struct.pack("<I", 0x00010000))
    out += _tnef_attr(1, 0x00078008, b"IPM.Microsoft Mail.Note\0")
    if body is not None:
        out += _tnef_attr(1, 0x0002800C, body)
    if html is not None:
        out += _tnef_attr(1, 0x00069003, mapi_props([(0x0102, 0x1013, html)]))
    if rtf is not None:
        props = mapi_props([(0x0102, 0x1009, lzfu(rtf))])
        if lie == "props":
            props = struct.pack("<I", 0x7fffffff) + props[4:]
        out += _tnef_attr(1, 0x00069003, props)
    for name, data in attachments:
        out += _tnef_attr(2, 0x00069002, struct.pack("<HIIIHH", 1, 0xffffffff, 0, 0, 0, 0))
        out += _tnef_attr(2, 0x0006800F, data)
        out += _tnef_attr(2, 0x00018010, name[:8].encode() + b"\0")
        out += _tnef_attr(2, 0x00069005, mapi_props(
            [(0x001F, 0x3707, name.encode("utf-16-le") + b"\0\0")]))
    if lie == "length":
        out += struct.pack("<BII", 2, 0x0006800F, 0x7ffffff0) + b"short"
    return out


# --- OLE2 compound files (MS-CFB, version 3) -------------------------------

def ole(tree, clsid=b"\0" * 16):
    """tree: {name: bytes (stream) | dict (storage)}.  Streams are padded
    to 4096 bytes so that all live in regular sectors.  clsid: the root
    entry's class id (an MSI's is {000C1084-0000-0000-C000-000000000046})."""
    entries = []   # [name, type, child, right, start, size, data]

    def add(name, node):
        idx = len(entries)
        if isinstance(node, dict):
            entries.append([name, 1, 0xffffffff, 0xffffffff, 0, 0, None])
            kids = [add(k, v) for k, v in node.items()]
            if kids:
                entries[idx][2] = kids[0]
                for a, b in zip(kids, kids[1:]):
                    entries[a][3] = b
        else:
            data = node + b"\0" * max(0, 4096 - len(node))
            entries.append([name, 2, 0xffffffff, 0xffffffff, 0, len(data), data])
        return idx

    entries.append(["Root Entry", 5, 0xffffffff, 0xffffffff, 0xfffffffe, 0, None])
    kids = [add(k, v) for k, v in tree.items()]
    if kids:
        entries[0][2] = kids[0]
        for a, b in zip(kids, kids[1:]):
            entries[a][3] = b
    ndir = (len(entries) + 3) // 4
    fat = [0xfffffffd]                      # sector 0: the FAT
    dir_start = 1
    fat += list(range(2, 1 + ndir)) + [0xfffffffe]
    sectors = []
    next_sec = 1 + ndir
    for e in entries:
        if e[1] == 2:
            n = (len(e[6]) + 511) // 512
            e[4] = next_sec
            fat += list(range(next_sec + 1, next_sec + n)) + [0xfffffffe]
            sectors.append(e[6] + b"\0" * (-len(e[6]) % 512))
            next_sec += n
    assert len(fat) <= 128, "too big for one FAT sector"
    fat += [0xffffffff] * (128 - len(fat))
    hdr = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
           + struct.pack("<HHHHH6xIIIIIIIII", 0x3e, 3, 0xfffe, 9, 6, 0, 1, dir_start,
                         0, 4096, 0xfffffffe, 0, 0xfffffffe, 0))
    hdr += struct.pack("<I", 0) + struct.pack("<I", 0xffffffff) * 108
    dirs = b""
    for k, (name, typ, child, right, start, size, _) in enumerate(entries):
        n = name.encode("utf-16-le") + b"\0\0"
        dirs += (n + b"\0" * (64 - len(n)) + struct.pack("<HBBIII", len(n), typ, 1,
                                                         0xffffffff, right, child)
                 + (clsid if k == 0 else b"\0" * 16) + b"\0" * 20
                 + struct.pack("<IQ", start, size))
    dirs += b"\0" * (-len(dirs) % 512)
    return hdr + struct.pack("<128I", *fat) + dirs + b"".join(sectors)


MSI_CLSID = bytes.fromhex("84100c0000000000c000000000000046")


def msi():
    return ole({"\u4840\u3f3f": b"x" * 100, "SummaryInformation": b"\xfe\xff" + bytes(100)},
               clsid=MSI_CLSID)


def biff(records):
    return b"".join(struct.pack("<HH", t, len(d)) + d for t, d in records)


def xls(macro_sheet=False, encrypted=False):
    recs = [(0x0809, struct.pack("<HHHHII", 0x600, 5, 0, 0, 0, 0))]
    if encrypted:
        recs.append((0x002F, struct.pack("<H", 1) + b"\0" * 52))
    recs.append((0x0085, struct.pack("<IBBBB", 0, 0, 0, 6, 0) + b"Sheet1"))
    if macro_sheet:
        recs.append((0x0085, struct.pack("<IBBBB", 0, 0, 1, 6, 0) + b"Macro1"))
    recs.append((0x000A, b""))
    return ole({"Workbook": biff(recs)})


def doc(vba=False, encrypted=False):
    fib = struct.pack("<HHHHHH", 0xA5EC, 0xC1, 0, 0, 0, 0x0100 if encrypted else 0) + b"\0" * 100
    tree = {"WordDocument": fib, "1Table": b"\0" * 100}
    if vba:
        tree["Macros"] = {"VBA": {"dir": b"\x01" * 50, "ThisDocument": b"x" * 50},
                          "PROJECT": b"ID=\"{0}\"\r\n"}
    return ole(tree)


def ooxml_encrypted():
    return ole({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 200,
                "EncryptedPackage": os.urandom(5000)})


def docm(ext_member="word/vbaProject.bin"):
    return zip_of([("[Content_Types].xml", b"<Types/>"),
                   ("word/document.xml", b"<w:document/>"),
                   (ext_member, doc(vba=True))])


# --- RAR 4 and 5, stored ------------------------------------------------

def _crc16(b):
    return binascii.crc32(b) & 0xffff


def rar4(members, encrypted=False, headers_encrypted=False):
    """members: [(name, data)], method 0x30 (store)."""
    out = b"Rar!\x1a\x07\x00"
    body = struct.pack("<BHH", 0x73, 0x0080 if headers_encrypted else 0, 13) + struct.pack("<HI", 0, 0)
    if headers_encrypted:
        return out + struct.pack("<H", _crc16(body)) + body + os.urandom(300)
    out += struct.pack("<H", _crc16(body)) + body
    for name, data in members:
        nb = name.encode()
        flags = 0x8000 | (0x04 | 0x400 if encrypted else 0)
        salt = os.urandom(8) if encrypted else b""
        payload = os.urandom(len(data) + 16) if encrypted else data
        size = 32 + len(nb) + len(salt)
        hdr = struct.pack("<BHHIIBIIBBHI", 0x74, flags, size, len(payload), len(data), 2,
                          binascii.crc32(data) & 0xffffffff, 0x50210000, 29 if encrypted else 20,
                          0x30, len(nb), 0x20) + nb + salt
        out += struct.pack("<H", _crc16(hdr)) + hdr + payload
    end = struct.pack("<BHH", 0x7b, 0x4000, 7)
    return out + struct.pack("<H", _crc16(end)) + end


def _vint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _rar5_block(fields):
    body = b"".join(fields)
    sized = _vint(len(body)) + body
    return struct.pack("<I", binascii.crc32(sized) & 0xffffffff) + sized


def rar5(members, encrypted=None):
    """encrypted: None, "files" (a file encryption record per file: the
    data is random, as if encrypted) or "headers" (an archive encryption
    header: nothing else is readable)."""
    out = b"Rar!\x1a\x07\x01\x00"
    if encrypted == "headers":
        out += _rar5_block([_vint(4), _vint(0), _vint(0), _vint(0), bytes([15]), os.urandom(16)])
        return out + os.urandom(200)
    out += _rar5_block([_vint(1), _vint(0), _vint(0)])
    for name, data in members:
        nb = name.encode()
        if encrypted == "files":
            rec = _vint(1) + _vint(0) + _vint(0) + bytes([15]) + os.urandom(32)
            extra = _vint(len(rec)) + rec
            payload = os.urandom((len(data) + 15) // 16 * 16)
            out += _rar5_block([_vint(2), _vint(0x0003), _vint(len(extra)), _vint(len(payload)),
                                _vint(0), _vint(len(data)), _vint(0x20), _vint(0), _vint(0),
                                _vint(len(nb)), nb, extra]) + payload
            continue
        out += _rar5_block([_vint(2), _vint(0x0002), _vint(len(data)),
                            _vint(0x0004), _vint(len(data)), _vint(0x20),
                            struct.pack("<I", binascii.crc32(data) & 0xffffffff),
                            _vint(0), _vint(0), _vint(len(nb)), nb]) + data
    return out + _rar5_block([_vint(5), _vint(0), _vint(0)])


# Compressed RAR: libarchive's fixtures (t/files/libarchive/README).
LIBARCHIVE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "libarchive")
RAR4_BEST = "test_read_format_rar_compress_best.rar"       # RAR 4, method "best"
RAR4_BEST_HTML_SHA = "ee16390e87152d7dec632ae2b37566da6135966e46b5166e6f40a1c827fa61ad"
RAR5_COMPRESSED = "test_read_format_rar5_compressed.rar"     # RAR 5, test.bin compressed
RAR5_TEST_BIN_SHA = "588870a2dade35c2650fbb7898c9a9c7f21fce7c281198604e8d0c9737f2c375"


def libarchive_rar(name):
    """The archive NAME, decoded from its uuencoded copy."""
    out = bytearray()
    with open(os.path.join(LIBARCHIVE_DIR, name + ".uu"), "rb") as f:
        lines = f.read().split(b"\n")
    assert lines[0].startswith(b"begin ")
    for line in lines[1:]:
        if line.strip() == b"end":
            return bytes(out)
        if line:
            out += binascii.a2b_uu(line)
    raise ValueError("%s: no end line" % name)


# --- inline encodings ---------------------------------------------------

def uuencode(name, data):
    out = "begin 644 %s\n" % name
    for i in range(0, len(data), 45):
        out += binascii.b2a_uu(data[i:i + 45]).decode().replace(" ", "`")
    return out + "`\nend\n"


def yenc(name, data):
    out = bytearray(b"=ybegin line=128 size=%d name=%s\n" % (len(data), name.encode()))
    line = bytearray()
    for c in data:
        o = (c + 42) & 0xff
        if o in (0, 10, 13, 61):
            line += bytes([61, (o + 64) & 0xff])
        else:
            line.append(o)
        if len(line) >= 128:
            out += line + b"\n"
            line = bytearray()
    out += line + b"\n=yend size=%d\n" % len(data)
    return bytes(out)


def binhex(name, data):
    alpha = b"!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
    nb = name.encode()
    hdr = bytes([len(nb)]) + nb + b"\0" + b"TEXTttxt" + b"\0\0" + struct.pack(">II", len(data), 0)
    raw = hdr + b"\0\0" + data + b"\0\0"
    rle = bytearray()
    for c in raw:                 # no runs; 0x90 escaped
        rle += b"\x90\x00" if c == 0x90 else bytes([c])
    bits, n, enc = 0, 0, bytearray()
    for c in rle:
        bits = bits << 8 | c
        n += 8
        while n >= 6:
            n -= 6
            enc.append(alpha[(bits >> n) & 63])
    if n:
        enc.append(alpha[(bits << (6 - n)) & 63])
    lines = [bytes(enc[i:i + 64]) for i in range(0, len(enc), 64)]
    lines[0] = b":" + lines[0]
    lines[-1] += b":"
    return b"(This file must be converted with BinHex 4.0)\n\n" + b"\n".join(lines) + b"\n"


# --- messages -------------------------------------------------------------

def message(attachments=(), text="Hello.\n", subject="test", sender="alice@sender.test",
            rcpt="bob@example.com"):
    """attachments: [(filename or None, bytes, content type)]"""
    m = email.message.EmailMessage()
    m["From"] = sender
    m["To"] = rcpt
    m["Subject"] = subject
    m.set_content(text)
    for name, data, ctype in attachments:
        mt, st = ctype.split("/")
        kw = {"filename": name} if name else {}
        m.add_attachment(data, maintype=mt, subtype=st, **kw)
    return m.as_bytes()


def plain_message(body, subject="plain"):
    """A message without any MIME header."""
    if isinstance(body, str):
        body = body.encode()
    return (b"From: alice@sender.test\nTo: bob@example.com\nSubject: " + subject.encode()
            + b"\n\n" + body)
