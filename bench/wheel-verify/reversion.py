"""Re-versions a real wheel or sdist of the wheel-release example, for the verify benchmark.

Usage: reversion.py SRC DST OLD NEW. Every member name and the METADATA / PKG-INFO Version (and
the sdist's pin on yd-core) move from OLD to NEW; a wheel's RECORD is recomputed, so the result is
a sound distribution of version NEW. Each member keeps its ZipInfo / TarInfo (dates, modes).
"""

import base64
import csv
import gzip
import hashlib
import io
import re
import sys
import tarfile
import zipfile

src, dst, old, new = sys.argv[1:5]


def moved(name):
    # yd_core-OLD.dist-info/…, yd_core-OLD.data/…, ydemo-OLD/… and the bare ydemo-OLD directory.
    return re.sub(rf"^([A-Za-z0-9_]+)-{re.escape(old)}(?=[./]|$)", rf"\g<1>-{new}", name)


def edit(name, data):
    if name.endswith(("/METADATA", "/PKG-INFO")):
        data = data.replace(f"\nVersion: {old}\n".encode(), f"\nVersion: {new}\n".encode())
        data = data.replace(f"yd-core=={old}".encode(), f"yd-core=={new}".encode())
    return data


if src.endswith(".whl"):
    with zipfile.ZipFile(src) as z:
        members = []
        for info in z.infolist():
            data = edit(info.filename, z.read(info))
            info.filename = moved(info.filename)
            members.append((info, data))
    record = next(i.filename for i, _ in members if i.filename.endswith(".dist-info/RECORD"))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for info, data in members:
        if info.filename == record:
            writer.writerow([record, "", ""])
        else:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            writer.writerow([info.filename, f"sha256={digest}", len(data)])
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, out.getvalue().encode() if info.filename == record else data)
else:
    # gzip's header holds a timestamp: fixed, so every run re-versions to the same bytes.
    with tarfile.open(src, "r:gz") as tar, gzip.GzipFile(dst, "wb", mtime=0) as gz, tarfile.open(
        fileobj=gz, mode="w", format=tarfile.PAX_FORMAT
    ) as out:
        for info in tar.getmembers():
            data = edit(info.name, tar.extractfile(info).read()) if info.isfile() else None
            info.name = moved(info.name)
            if data is None:
                out.addfile(info)
            else:
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
