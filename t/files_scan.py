#!/usr/bin/env python3
"""t/files_scan.py - what a recipient can open, through screener --scan.

Every container is made here, at test time (t/files/mkfiles.py: Python's
zipfile/tarfile, 7z, gcab, xorriso, and our own TNEF, OLE2 and stored
RAR 4/5 writers), but for compressed RAR 4 and 5: two small archives
from libarchive's test suite (t/files/libarchive/README).  Each message
is scanned whole and through the milter API; the action, the rule and
the file path in the verdict must be the expected ones.  Hostile containers (traversal and NUL names, 100,000
members, 42.zip-style nesting, a 10 GB expansion, lying TNEF lengths,
overlapping zip entries) must end as unreadable or on_limit, within a
time bound, with the screener exiting normally.
"""
import bz2, gzip, hashlib, io, lzma, os, shlex, struct, subprocess, sys, tarfile
import tempfile, time, zipfile, zlib
from tap import ok, done, is_eq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "files"))
import mkfiles as m  # noqa: E402

BUILD = os.environ.get("RS_BUILDDIR", ".")
SCREENER = os.path.join(BUILD, "screener", "screener")
TMP = tempfile.mkdtemp(prefix="rs-files.")
MZ_SHA = hashlib.sha256(m.MZ).hexdigest()
# 4 MB that LZMA packs 64:1 (a repeated random block): big enough that
# 7-Zip keeps a 4 MB dictionary, small enough for the ratio limit.
DICT_DATA = os.urandom(65536) * 64
DICT_SHA = hashlib.sha256(DICT_DATA).hexdigest()

CONFS = {
    "ext": """
rules = (
  { name = "exe"; attachment = { extensions = [ "exe", "lnk", "msi" ]; }; action = "reject";
    reply = "550 5.7.1 No executables, not even inside archives"; },
  { name = "strip-bat"; attachment = { extensions = [ "bat" ]; }; action = "strip"; },
  { name = "hold-scr"; attachment = { names = [ "*.scr" ]; }; action = "hold"; },
  { name = "kw"; keywords = { words = [ "secret words" ]; in = [ "body" ]; }; action = "hold"; }
);
""",
    "flags": """
rules = (
  { name = "encrypted"; attachment = { encrypted = true; }; action = "hold"; },
  { name = "macros"; attachment = { macros = true; }; action = "reject"; },
  { name = "unreadable"; attachment = { unreadable = true; }; action = "discard"; }
);
""",
    "dtype": """
rules = (
  { name = "pe"; attachment = { detected_types = [ "application/x-dosexec" ]; }; action = "reject"; },
  { name = "msi"; attachment = { detected_types = [ "application/x-msi" ]; }; action = "reject"; },
  { name = "elf"; attachment = { detected_types = [ "application/x-*executable", "application/x-sharedlib" ]; }; action = "hold"; },
  { name = "known"; attachment = { sha256 = [ "%s" ]; }; action = "discard"; },
  { name = "big"; attachment = { min_size = "1M"; }; action = "tempfail"; }
);
""" % MZ_SHA,
    "limits": """
rules = ( { name = "exe"; attachment = { extensions = [ "exe" ]; }; action = "reject"; } );
limits = { max_archive_depth = 2; max_archive_members = 10; max_archive_size = "4M";
           max_archive_expansion = "1M"; max_archive_ratio = 100; };
""",
    "size": """
rules = ( { name = "exe"; attachment = { extensions = [ "exe" ]; }; action = "reject"; } );
limits = { max_archive_size = "64K"; on_limit = "hold"; };
""",
    "dict": """
rules = ( { name = "known"; attachment = { sha256 = [ "%s" ]; }; action = "discard"; } );
limits = { max_archive_dictionary = "1M"; };
""" % DICT_SHA,
    "dict8": """
rules = ( { name = "known"; attachment = { sha256 = [ "%s" ]; }; action = "discard"; } );
limits = { max_archive_dictionary = "8M"; };
""" % DICT_SHA,
    "defaults": """
rules = ( { name = "exe"; attachment = { extensions = [ "exe" ]; }; action = "reject"; } );
""",
    # compressed RAR: libarchive's fixtures (t/files/libarchive/README)
    "rar": """
rules = ( { name = "known"; attachment = { sha256 = [ "%s", "%s" ]; }; action = "discard"; } );
""" % (m.RAR4_BEST_HTML_SHA, m.RAR5_TEST_BIN_SHA),
    "rarname": """
rules = (
  { name = "html"; attachment = { extensions = [ "html" ]; }; action = "reject"; },
  { name = "testbin"; attachment = { names = [ "test.bin" ]; }; action = "hold"; }
);
""",
}
CONF_PATHS = {}
for k, v in CONFS.items():
    CONF_PATHS[k] = os.path.join(TMP, k + ".conf")
    with open(CONF_PATHS[k], "w") as f:
        f.write(v)


def scan(conf, msg, extra=()):
    path = os.path.join(TMP, "msg.eml")
    with open(path, "wb") as f:
        f.write(msg)
    t0 = time.monotonic()
    r = subprocess.run([SCREENER, "--scan", "-c", CONF_PATHS[conf]] + list(extra) + [path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    out = r.stdout.decode("utf-8", "replace")
    fl = {}
    if ": " in out:
        for tok in shlex.split(out.splitlines()[0].split(": ", 1)[1]):
            if "=" in tok:
                k, v = tok.split("=", 1)
                fl.setdefault(k, v)
    return r.returncode, fl, out, r.stderr.decode("utf-8", "replace"), time.monotonic() - t0


def case(conf, name, msg, action, rule, file=None, modes=((), ("--milter-api",))):
    action = "pass" if action == "none" else action     # what --scan prints
    for mode in modes:
        rc, fl, out, err, _ = scan(conf, msg, mode)
        good = fl.get("action") == action and fl.get("rule") == rule and rc in (0, 1)
        if file is not None:
            good = good and fl.get("file") == file
        ok(good, "%s %s: %s %s%s" % (conf, name, action, rule,
                                     (" file=" + file) if file else "") + (" (milter API)" if mode else ""),
           "rc=%s out=%r err=%r" % (rc, out, err[-800:]))


def att(name, data, ctype="application/octet-stream"):
    return m.message([(name, data, ctype)])


def single(data, ext):
    return {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[ext](data)


def tar_gz(files):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for name, data in files:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return b.getvalue()


EXE_ZIP = m.zip_of([("inner/invoice.exe", m.MZ), ("readme.txt", b"hello")])
CLEAN_ZIP = m.zip_of([("a.txt", b"hello"), ("b/c.txt", b"world")])

# --- members are the attachment's own ------------------------------------
case("ext", "zip member", att("docs.zip", EXE_ZIP), "reject", "exe", "docs.zip/inner/invoice.exe")
case("ext", "nested zip", att("docs.zip", m.zip_of([("inner.zip", EXE_ZIP)])), "reject", "exe",
     "docs.zip/inner.zip/inner/invoice.exe")
case("ext", "zip in 7z", att("a.7z", m.sevenz({"inner.zip": EXE_ZIP})), "reject", "exe",
     "a.7z/inner.zip/inner/invoice.exe")
case("ext", "7z member", att("a.7z", m.sevenz({"x.exe": m.MZ})), "reject", "exe", "a.7z/x.exe")
case("ext", "cab member", att("a.cab", m.cab({"x.exe": m.MZ})), "reject", "exe", "a.cab/x.exe")
case("ext", "iso member", att("a.iso", m.iso({"x.exe": m.MZ})), "reject", "exe", "a.iso/x.exe")
case("ext", "rar4 member", att("a.rar", m.rar4([("dir/x.exe", m.MZ)])), "reject", "exe",
     "a.rar/dir/x.exe")
case("ext", "rar5 member", att("a.rar", m.rar5([("dir/x.exe", m.MZ)])), "reject", "exe",
     "a.rar/dir/x.exe")
case("ext", "tar.gz member", att("a.tgz", tar_gz([("x/y.exe", m.MZ)])), "reject", "exe",
     "a.tgz/x/y.exe")
for ext in ("gz", "bz2", "xz"):
    case("ext", ext + " single file", att("report.exe." + ext, single(m.MZ, ext)), "reject", "exe")
zst = subprocess.run(["zstd", "-q", "-c"], input=m.MZ, stdout=subprocess.PIPE, check=True).stdout
case("ext", "zstd single file (named by type)", att("data.bin", zst), "reject", "exe",
     "data.bin/data")


class Stream(io.RawIOBase):
    """Write-only, unseekable: zipfile then writes data descriptors."""
    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


def zip64_dd():
    out = Stream()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("z64/x.exe", "w", force_zip64=True) as w:
            w.write(m.MZ)
    return bytes(out.data)


Z64 = zip64_dd()
ok(b"PK\x07\x08" in Z64 and b"\x01\x00\x10\x00" in Z64, "fixture: zip64 extra field and data descriptor")
case("ext", "zip64 member with a data descriptor", att("big.zip", Z64), "reject", "exe", "big.zip/z64/x.exe")
case("ext", "MZ named statement.pdf", att("statement.pdf", m.MZ, "application/pdf"), "reject",
     "exe", "statement.pdf")
case("ext", "MZ with no name", att(None, m.MZ), "reject", "exe")
lnk = b"\x4c\x00\x00\x00\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46" + bytes(200)
case("ext", "LNK named photo.jpg", att("photo.jpg", lnk, "image/jpeg"), "reject", "exe")
case("ext", "MSI named setup.pdf", att("setup.pdf", m.msi(), "application/pdf"), "reject", "exe",
     "setup.pdf")
case("ext", "MSI in a zip", att("a.zip", m.zip_of([("install.dat", m.msi())])), "reject", "exe",
     "a.zip/install.dat")
case("ext", "OLE without the MSI class id", att("a.dat", m.ole({"x": b"y"})), "pass", "-")
case("ext", "TNEF attachment", att("winmail.dat", m.tnef([("Quarterly report.exe", m.MZ)], body=b"see attached"),
                                   "application/ms-tnef"), "reject", "exe",
     "winmail.dat/Quarterly report.exe")
case("ext", "TNEF in zip", att("mail.zip", m.zip_of([("winmail.dat", m.tnef([("x.exe", m.MZ)]))])),
     "reject", "exe", "mail.zip/winmail.dat/x.exe")
case("ext", "TNEF compressed RTF body keyword",
     att("winmail.dat", m.tnef([("a.txt", b"x")], rtf=b"{\\rtf1\\ansi\\par the {\\b secret} words\\par secret words}"),
         "application/ms-tnef"), "hold", "kw")
case("ext", "TNEF text body keyword", att("winmail.dat", m.tnef([], body=b"the secret words here"),
                                          "application/ms-tnef"), "hold", "kw")
# issue 10: a TNEF HTML body is read as HTML is rendered
case("ext", "TNEF HTML body keyword, rendered",
     att("winmail.dat", m.tnef([], html=b"<p>the <b>Secret</b>&nbsp;wo<!-- x -->rds</p>"),
         "application/ms-tnef"), "hold", "kw")
case("ext", "TNEF HTML body: markup is not text",
     att("winmail.dat", m.tnef([], html=b"<p title='secret words'>nothing</p>"),
         "application/ms-tnef"), "pass", "-")
case("ext", "OLE package with an exe inside a doc",
     att("report.doc", m.ole({"WordDocument": b"\xec\xa5" + bytes(200), "ObjectPool": {
         "_1": {"\x01Ole10Native": struct.pack("<IH", 0, 2) + b"invoice.exe\0C:\\x\\invoice.exe\0"
                + bytes(8) + b"C:\\t\\invoice.exe\0" + struct.pack("<I", len(m.MZ)) + m.MZ}}})),
     "reject", "exe", "report.doc/invoice.exe")
case("ext", "uuencode in a text body", m.message(text="Here it is.\n\n" + m.uuencode("evil.exe", m.MZ)),
     "reject", "exe", "evil.exe")
case("ext", "uuencode without MIME headers", m.plain_message(m.uuencode("evil.exe", m.MZ)), "reject",
     "exe", "evil.exe")
case("ext", "uuencoded zip", m.plain_message(m.uuencode("x.zip", EXE_ZIP)), "reject", "exe",
     "x.zip/inner/invoice.exe")
case("ext", "yEnc without MIME headers", m.plain_message(m.yenc("evil.exe", m.MZ)), "reject", "exe",
     "evil.exe")
case("ext", "BinHex without MIME headers", m.plain_message(m.binhex("evil.exe", m.MZ)), "reject", "exe",
     "evil.exe")
case("ext", "uuencode in a text attachment", att("notes.txt", ("x\n" + m.uuencode("e.exe", m.MZ)).encode(),
                                                  "text/plain"), "reject", "exe", "notes.txt/e.exe")
case("ext", "member named .scr: hold", att("s.zip", m.zip_of([("screen.scr", b"x")])), "hold", "hold-scr",
     "s.zip/screen.scr")
case("ext", "clean zip", att("docs.zip", CLEAN_ZIP), "none", "-")
case("ext", "clean docx", att("a.docx", m.zip_of([("[Content_Types].xml", b"<T/>"),
                                               ("word/document.xml", b"<d/>")])), "none", "-")
case("ext", "truncated zip: what can be read is still matched", att("t.zip", EXE_ZIP[:60]), "reject",
     "exe", "t.zip/inner/invoice.exe")
case("ext", "traversal names", att("t.zip", m.zip_of([("../../../../etc/evil.exe", m.MZ)])), "reject",
     "exe", "t.zip/../../../../etc/evil.exe")
case("ext", "windows path name", att("t.zip", m.zip_of([("C:\\Users\\x\\evil.exe", m.MZ)])), "reject",
     "exe")

# a NUL inside a member name: the name ends there for libarchive, as for unzip
z = bytearray(m.zip_of([("evil.exeXtxt", m.MZ)]))
z = bytes(z).replace(b"evil.exeXtxt", b"evil.exe\0txt")
case("ext", "NUL in a member name", att("n.zip", z), "reject", "exe")

# strip: the whole attachment goes, the rest stays
bat = m.message([("tools.zip", m.zip_of([("run.bat", b"@echo off")]), "application/zip"),
                 ("report.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")])
case("ext", "strip a zip holding a .bat", bat, "strip", "strip-bat", "tools.zip/run.bat")
rw = os.path.join(TMP, "rewritten.eml")
rc, fl, out, err, _ = scan("ext", bat, ["--rewrite", rw])
with open(rw, "rb") as f:
    after = f.read()
ok(b"report.pdf" in after and b"UEsDB" not in after, "strip: the zip is gone, the pdf stays",
   after[-1500:])

# --- detected types, digests, sizes of members -----------------------------
case("dtype", "MSI by libmagic", att("a.bin", m.msi()), "reject", "msi")
case("dtype", "PE matched as application/x-dosexec", att("a.bin", m.MZ), "reject", "pe")
case("dtype", "PE in zip by detected type", att("a.zip", m.zip_of([("a.dat", m.MZ)])), "reject", "pe",
     "a.zip/a.dat")
with open("/bin/true", "rb") as f:
    elf = f.read()
case("dtype", "ELF in a tar.gz", att("a.tgz", tar_gz([("bin/tool", elf)])), "hold", "elf", "a.tgz/bin/tool")
case("dtype", "text members only", att("a.zip", m.zip_of([("x.txt", b"MZ is not enough"),
                                                      ("ok.txt", b"x")])), "none", "-")
case("dtype", "PE two levels down", att("a.zip", m.zip_of([("x.zip", m.zip_of([("y", m.MZ)]))])),
     "reject", "pe", "a.zip/x.zip/y")
KNOWN = b"known bad file " * 10
CONF_PATHS["sha"] = os.path.join(TMP, "sha.conf")
with open(CONF_PATHS["sha"], "w") as f:
    f.write('rules = ( { name = "known"; attachment = { sha256 = [ "%s" ]; }; action = "discard"; },'
            ' { name = "big"; attachment = { min_size = "1M"; }; action = "tempfail"; } );\n'
            % hashlib.sha256(KNOWN).hexdigest())
case("sha", "sha256 of a zip member", att("a.zip", m.zip_of([("k.txt", KNOWN)])), "discard", "known",
     "a.zip/k.txt")
case("sha", "sha256 of a TNEF attachment", att("winmail.dat", m.tnef([("k.txt", KNOWN)]),
                                               "application/ms-tnef"), "discard", "known",
     "winmail.dat/k.txt")
case("sha", "sha256 of a nested 7z member", att("a.zip", m.zip_of([("in.7z", m.sevenz({"k": KNOWN}))])),
     "discard", "known", "a.zip/in.7z/k")
CONF_PATHS["maxsize"] = os.path.join(TMP, "maxsize.conf")
with open(CONF_PATHS["maxsize"], "w") as f:
    f.write('rules = ( { name = "tiny-js"; attachment = { extensions = [ "js" ]; max_size = 100; };'
            ' action = "hold"; } );\n')
case("maxsize", "max_size: a small .js member", att("a.zip", m.zip_of([("big.js", b"x" * 500),
                                                                        ("dl.js", b"x" * 50)])),
     "hold", "tiny-js", "a.zip/dl.js")
case("maxsize", "max_size: only a big .js member", att("a.zip", m.zip_of([("big.js", b"x" * 500)])),
     "pass", "-")
case("sha", "size of a member", att("a.zip", m.zip_of([("big.txt", b"a" * (1 << 20))])), "tempfail", "big",
     "a.zip/big.txt")

# --- encrypted, macros, unreadable ------------------------------------------
PLAIN = {"x.txt": b"hello"}
case("flags", "ZipCrypto", att("a.zip", m.zip_encrypted(PLAIN)), "hold", "encrypted")
case("flags", "zip AES", att("a.zip", m.zip_encrypted(PLAIN, aes=True)), "hold", "encrypted")
case("flags", "7z encrypted data", att("a.7z", m.sevenz(PLAIN, "pw")), "hold", "encrypted")
case("flags", "7z encrypted headers", att("a.7z", m.sevenz(PLAIN, "pw", header_enc=True)), "hold",
     "encrypted", "a.7z")
case("flags", "rar4 encrypted", att("a.rar", m.rar4([("x.txt", b"hello")], encrypted=True)), "hold",
     "encrypted")
case("flags", "rar4 encrypted headers", att("a.rar", m.rar4([], headers_encrypted=True)), "hold",
     "encrypted", "a.rar")
case("flags", "rar5 file encryption record", att("a.rar", m.rar5([("x.txt", b"hello")], encrypted="files")),
     "hold", "encrypted", "a.rar")
case("flags", "rar5 encrypted headers", att("a.rar", m.rar5([("x.txt", b"hello")], encrypted="headers")),
     "hold", "encrypted", "a.rar")
case("flags", "plain rar5", att("a.rar", m.rar5([("x.txt", b"hello")])), "pass", "-")
# Compressed RAR 4 and 5 (libarchive's fixtures; our own writers only store):
# members found by name, extension and SHA-256 (which needs every byte
# decompressed), and compression alone is neither unreadable nor encrypted.
RAR4C = m.libarchive_rar(m.RAR4_BEST)
RAR5C = m.libarchive_rar(m.RAR5_COMPRESSED)
case("flags", "compressed rar4 is readable", att("a.rar", RAR4C), "none", "-")
case("flags", "compressed rar5 is readable", att("a.rar", RAR5C), "none", "-")
case("rar", "compressed rar4 member sha256", att("a.rar", RAR4C), "discard", "known",
     "a.rar/LibarchiveAddingTest.html")
case("rar", "compressed rar5 member sha256", att("a.rar", RAR5C), "discard", "known",
     "a.rar/test.bin")
case("rar", "compressed rar5 in a zip, member sha256",
     att("docs.zip", m.zip_of([("in/a.rar", RAR5C)])), "discard", "known", "docs.zip/in/a.rar/test.bin")
case("rarname", "compressed rar4 member extension", att("a.rar", RAR4C), "reject", "html",
     "a.rar/LibarchiveAddingTest.html")
case("rarname", "compressed rar5 member name", att("a.rar", RAR5C), "hold", "testbin",
     "a.rar/test.bin")
case("flags", "truncated compressed rar4", att("a.rar", RAR4C[:3000]), "discard", "unreadable")
case("flags", "encrypted zip inside a zip", att("a.zip", m.zip_of([("in.zip", m.zip_encrypted(PLAIN))])),
     "hold", "encrypted", "a.zip/in.zip/x.txt")
case("flags", "encrypted OOXML (OLE EncryptionInfo)", att("budget.xlsx", m.ooxml_encrypted()), "hold",
     "encrypted", "budget.xlsx")
case("flags", "encrypted xls (FilePass)", att("a.xls", m.xls(encrypted=True)), "hold", "encrypted")
case("flags", "encrypted doc (fEncrypted)", att("a.doc", m.doc(encrypted=True)), "hold", "encrypted")
case("flags", "encrypted PDF", att("a.pdf", b"%PDF-1.6\n1 0 obj <<>>\ntrailer << /Root 1 0 R /Encrypt 5 0 R >>\n%%EOF\n",
                                   "application/pdf"), "hold", "encrypted")
case("flags", "encrypted PDF in zip", att("a.zip", m.zip_of([("a.pdf", b"%PDF-1.6\n" + b"x" * 9000
                                                              + b"/Encrypt 5 0 R\n%%EOF")])),
     "hold", "encrypted", "a.zip/a.pdf")
case("flags", "docx with vbaProject.bin", att("a.docx", m.docm()), "reject", "macros",
     "a.docx/word/vbaProject.bin")
case("flags", "xlsm macro sheet", att("a.xlsx", m.zip_of([("xl/macrosheets/sheet1.xml", b"<x/>")])),
     "reject", "macros")
case("flags", "xls Excel 4.0 macro sheet", att("a.xls", m.xls(macro_sheet=True)), "reject", "macros")
case("flags", "doc with VBA storage", att("a.doc", m.doc(vba=True)), "reject", "macros")
case("flags", "doc with VBA in a zip", att("a.zip", m.zip_of([("d/a.doc", m.doc(vba=True))])), "reject",
     "macros", "a.zip/d/a.doc")
case("flags", "plain xls", att("a.xls", m.xls()), "none", "-")
case("flags", "truncated zip", att("a.zip", EXE_ZIP[:60]), "discard", "unreadable")
case("flags", "corrupt 7z", att("a.7z", m.sevenz({"a": os.urandom(3000)})[:200]), "discard", "unreadable")
case("flags", "TNEF lying attribute length", att("winmail.dat", m.tnef([("a.txt", b"x")], lie="length"),
                                                 "application/ms-tnef"), "discard", "unreadable")
case("flags", "TNEF lying property count", att("winmail.dat", m.tnef([("a.txt", b"x")], rtf=b"x", lie="props"),
                                               "application/ms-tnef"), "discard", "unreadable")
case("flags", "OLE with a broken FAT", att("a.doc", m.doc()[:520] + bytes(600)), "discard", "unreadable")
case("flags", "unsupported zip method", att("a.zip", EXE_ZIP.replace(b"\x08\x00", b"\x63\x00", 2)),
     "discard", "unreadable")


# --- limits ---------------------------------------------------------------
def nest(depth, inner):
    for i in range(depth):
        inner = m.zip_of([("level%d.zip" % i, inner)])
    return inner


case("limits", "max_archive_depth", att("n.zip", nest(2, EXE_ZIP)), "tempfail", "limit:archive_depth",
     "n.zip")
case("limits", "within max_archive_depth", att("n.zip", nest(1, EXE_ZIP)), "reject", "exe")
case("limits", "max_archive_members", att("m.zip", m.zip_of([("f%d.txt" % i, b"x") for i in range(11)])),
     "tempfail", "limit:archive_members")
case("size", "max_archive_size (on_limit = hold)",
     att("s.zip", m.zip_of([("r", b"DATA" + os.urandom(70000))], zipfile.ZIP_STORED)), "hold", "limit:archive_size")
case("size", "a big non-container is not limited", att("s.bin", b"DATA" + os.urandom(70000)), "none", "-")
case("limits", "max_archive_expansion", att("e.tgz", tar_gz([("r%d" % i, b"DATA" + os.urandom(300000)) for i in range(4)])),
     "tempfail", "limit:archive_expansion")
case("limits", "max_archive_ratio", att("r.zip", m.zip_of([("zeros", bytes(4 << 20))])), "tempfail",
     "limit:archive_ratio")

# The LZMA dictionary a 7z, xz or lzma file declares is memory the decoder
# fills as data comes out (lzmaguard.c): over max_archive_dictionary the
# member is not decoded.  The member is read only for the SHA-256 rule.
def xz_dict(data, fmt):
    return lzma.compress(data, format=fmt, filters=[{"id": lzma.FILTER_LZMA2 if fmt == lzma.FORMAT_XZ
                                                     else lzma.FILTER_LZMA1, "dict_size": 4 << 20}])


for kind, data in (("7z", m.sevenz({"payload.bin": DICT_DATA}, dictionary="4m")),
                   ("xz", xz_dict(DICT_DATA, lzma.FORMAT_XZ)), ("lzma", xz_dict(DICT_DATA, lzma.FORMAT_ALONE))):
    case("dict", "%s with a 4M dictionary, max_archive_dictionary 1M" % kind, att("d." + kind, data),
         "tempfail", "limit:archive_dictionary")
    case("dict8", "%s with a 4M dictionary, max_archive_dictionary 8M" % kind, att("d." + kind, data),
         "discard", "known")

# hostile, default limits: bounded time, unreadable/on_limit, never a crash
def timed(name, msg, actions, limit_s=60):
    rc, fl, out, err, secs = scan("defaults", msg)
    ok(rc in (0, 1) and fl.get("action") in actions and secs < limit_s,
       "hostile %s: %s in %.1fs" % (name, fl.get("rule"), secs), "rc=%s out=%r err=%r" % (rc, out, err[-500:]))


b = io.BytesIO()
with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as zf:
    for i in range(100000):
        zf.writestr(zipfile.ZipInfo("%d" % i), b"")
timed("100,000 members", att("many.zip", b.getvalue()), ("tempfail",))
timed("42.zip nesting (6 levels)", att("42.zip", nest(6, m.zip_of([("x.txt", bytes(1 << 20))]))), ("tempfail",))

# a 10 GB gzip made of repeated flushed deflate blocks (10 MB on the wire)
c = zlib.compressobj(9, zlib.DEFLATED, -15)
chunk = bytes(1 << 24)
first = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
rep = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
bomb = (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + first + rep * 638 + c.flush()
        + struct.pack("<II", 0, 0))
timed("10 GB expansion", att("bomb.gz", bomb), ("tempfail",))

# overlapping entries: 200 central directory records over one local file
zeros = m.zip_of([("a", bytes(2 << 20))])
loc_end = zeros.index(b"PK\x01\x02")
cd = zeros[loc_end:zeros.index(b"PK\x05\x06")]
eocd = bytearray(zeros[zeros.index(b"PK\x05\x06"):])
n = 200
struct.pack_into("<HHII", eocd, 8, n, n, len(cd) * n, loc_end)
rc, fl, out, err, secs = scan("flags", att("o.zip", zeros[:loc_end] + cd * n + bytes(eocd)))
ok(fl.get("rule") == "unreadable" and secs < 60 and "overlapping zip entries" in err,
   "hostile overlapping zip entries: unreadable in %.1fs" % secs, out + err)

# --explain names every file found inside
rc, fl, out, err, _ = scan("ext", att("docs.zip", m.zip_of([("inner.zip", EXE_ZIP)])), ["--explain"])
ok("file=docs.zip/inner.zip/inner/invoice.exe" in out and "detected=" in out,
   "--explain lists nested members with their path and type", out)

# config errors name file and line
bad = os.path.join(TMP, "bad.conf")
with open(bad, "w") as f:
    f.write('rules = (\n { name = "x"; attachment = { encrypted = false; }; action = "hold"; },\n'
            ' { name = "y"; attachment = { detected_types = [ "exe" ]; }; action = "hold"; }\n);\n'
            'limits = { max_archive_depth = 99; };\n')
r = subprocess.run([SCREENER, "-t", "-c", bad], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
e = r.stderr.decode()
ok(r.returncode != 0 and "bad.conf:2:" in e and "bad.conf:3:" in e and "bad.conf:5:" in e,
   "config errors: encrypted = false, a type without '/', depth over its bound, each with file:line", e)

done()
