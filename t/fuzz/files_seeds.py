#!/usr/bin/env python3
"""files_seeds.py TARGET DIR - seed inputs for the files fuzz targets,
made by t/files/mkfiles.py (container, tnef, inline)."""
import gzip, io, os, sys, tarfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "files"))
import mkfiles as m  # noqa: E402

target, out = sys.argv[1], sys.argv[2]
seeds = {}
if target == "container":
    z = m.zip_of([("a/x.exe", m.MZ), ("b.txt", b"hello")])
    seeds = {"zip": z, "nested": m.zip_of([("in.zip", z)]), "docm": m.docm(),
             "rar4": m.rar4([("x.exe", m.MZ)]), "rar5": m.rar5([("x.exe", m.MZ)]),
             "rar4e": m.rar4([("x", b"x")], encrypted=True), "xls": m.xls(True, True),
             "rar5e": m.rar5([("x", b"x")], encrypted="files"),
             "doc": m.doc(True, True), "enc": m.ooxml_encrypted(), "gz": gzip.compress(m.MZ),
             "tnef": m.tnef([("x.exe", m.MZ)], body=b"b", rtf=b"{\\rtf1 x}"),
             "pdf": b"%PDF-1.4\n/Encrypt 1 0 R\n"}
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as t:
        ti = tarfile.TarInfo("x.exe")
        ti.size = len(m.MZ)
        t.addfile(ti, io.BytesIO(m.MZ))
    seeds["tar"] = b.getvalue()
    try:
        seeds["7z"] = m.sevenz({"x.exe": m.MZ})
        seeds["cab"] = m.cab({"x.exe": m.MZ})
    except (OSError, Exception):
        pass
elif target == "tnef":
    for i, t in enumerate([m.tnef([("long name.exe", m.MZ)], body=b"body"),
                           m.tnef([("a", b"x"), ("b", m.zip_of([("c.exe", m.MZ)]))],
                                  rtf=b"{\\rtf1\\ansi hello \\'e9 {\\b x}\\par}")]):
        seeds["t%d" % i] = t[6:]
elif target == "inline":
    seeds = {"uu": b"\x07hello\n" + m.uuencode("a.exe", m.MZ).encode(),
             "yenc": b"\x10" + m.yenc("b.exe", m.MZ), "hqx": b"\x3f" + m.binhex("c.exe", m.MZ),
             "uuzip": b"\x01" + m.uuencode("d.zip", m.zip_of([("e.exe", m.MZ)])).encode()}
for k, v in seeds.items():
    with open(os.path.join(out, "gen-" + k), "wb") as f:
        f.write(v)
